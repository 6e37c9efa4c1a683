/**
 * The seed's chess exhibition: one master plays 24 opponents. The master takes 5 s a move, each
 * opponent 55 s; a game is 30 pair-moves. Played one game at a time that is 12 hours; moving from
 * table to table while the opponents think, about one.
 *
 * The master is ONE coroutine (he makes one move at a time); each opponent's reply is a task the
 * master comes back to. By default the real clock plays it scaled 1:1000 (the hour takes ~3.7 s);
 * `--virtual` plays the whole unscaled hour on the virtual clock, at once.
 */
import { type Coro, type Task, createTask, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, flag } from "../program.js";

const BOARDS = 24;
const PAIR_MOVES = 30;
const MASTER_MOVE_MS = 5_000;
const OPPONENT_MOVE_MS = 55_000;

function clock(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export const chess: DemoProgram = {
  name: "chess",
  description:
    "one master against 24 boards, 30 moves each: ~1 hour instead of 12 (--virtual: unscaled, instant)",
  mode: "sync",
  source: "004 How does asyncio actually work? (the chess exhibition)",
  *main({ out, clock: kind, args }) {
    const scale = kind === "virtual" ? 1 : Number(flag(args, "scale") ?? 1000);
    if (!(scale > 0))
      throw new RangeError(`--scale must be a positive number, got ${flag(args, "scale")}`);
    const loop = getRunningLoop();
    const start = loop.time();
    const elapsed = () => (loop.time() - start) * scale;
    const replies: (Task<void> | null)[] = new Array(BOARDS).fill(null);
    let waited = 0;

    function* opponent(): Coro<void> {
      yield* sleep(OPPONENT_MOVE_MS / scale);
    }

    out(
      `Exhibition: ${BOARDS} boards, ${PAIR_MOVES} pair-moves each, master ${MASTER_MOVE_MS / 1000} s a move, opponents ${OPPONENT_MOVE_MS / 1000} s${scale === 1 ? "" : ` (scaled 1:${scale})`}\n`,
    );
    for (let round = 1; round <= PAIR_MOVES; round++) {
      for (let b = 0; b < BOARDS; b++) {
        const reply = replies[b];
        if (reply) {
          const before = loop.time();
          yield* reply; // wait for this opponent's move (never needed: they are faster than a tour)
          waited += loop.time() - before;
        }
        yield* sleep(MASTER_MOVE_MS / scale); // the master thinks: one move at a time
        replies[b] = createTask(opponent());
      }
      if (round % 5 === 0 || round === 1)
        out(`  round ${String(round).padStart(2)}/${PAIR_MOVES} done at ${clock(elapsed())}\n`);
    }
    for (const r of replies) if (r) yield* r;
    const total = elapsed();
    const sync = BOARDS * PAIR_MOVES * (MASTER_MOVE_MS + OPPONENT_MOVE_MS);
    out(
      `Exhibition over after ${clock(total)} (the master waited ${clock(waited * scale)} at the tables).\n`,
    );
    out(`One game at a time it would have taken ${clock(sync)}.\n`);
  },
};
