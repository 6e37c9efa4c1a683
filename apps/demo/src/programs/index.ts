import type { DemoProgram } from "../program.js";
import { chess } from "./chess.js";
import { count } from "./count.js";
import { sleepy } from "./sleepy.js";

/** Every demo program, in the order `pnpm demo` lists them. */
export const PROGRAMS: DemoProgram[] = [count, sleepy, chess];
