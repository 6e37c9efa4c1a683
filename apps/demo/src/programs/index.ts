import type { DemoProgram } from "../program.js";
import { chained } from "./chained.js";
import { chess } from "./chess.js";
import { count } from "./count.js";
import { futures } from "./futures.js";
import { grep } from "./grep.js";
import { chat, echoClient, echoServer } from "./network.js";
import { queue } from "./queue.js";
import { random } from "./random.js";
import { sleepy } from "./sleepy.js";
import { tasks } from "./tasks.js";
import { threads } from "./threads.js";
import { urandom } from "./urandom.js";

/** Every demo program, in the order `pnpm demo` lists them. */
export const PROGRAMS: DemoProgram[] = [
  count,
  sleepy,
  futures,
  tasks,
  chained,
  queue,
  random,
  threads,
  urandom,
  grep,
  echoServer,
  echoClient,
  chat,
  chess,
];
