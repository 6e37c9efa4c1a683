/**
 * The seed's cooperative I/O example (004, "3.5 Cooperative I/O"): `ready(path)` reads
 * /dev/urandom with AsyncRead while `sleepy('background', 5)` keeps its 0.1 s beat, and the two
 * interleave:
 *
 *   run(sleepy('background', 5), ready('/dev/urandom'))
 *
 * HOW: the file is opened in binary mode with @aioloop/files `open` (blocking calls run on a
 * worker thread, so the loop never blocks on the disk, unlike the seed's select() on a file,
 * which "always returns for files"). As AsyncRead goes back to the loop before every read, the
 * reader gives up one loop iteration per chunk; a chunk served from the file's buffer costs no
 * thread hop at all.
 *
 *   background ─step 1─ sleep 50+50 ms ─step 2─ … ─step 5─┐
 *   ready      ─read──► yield, read(1 KiB) ×32 ─► done     ├─ gather
 *                        └── worker thread: read(fd) ──┘   ┘
 *
 * The seed reads 32 KiB; `--amount 256M` makes the read long enough to watch both coroutines
 * take turns on the real clock (with progress on stderr). On the virtual clock time stands still
 * while a file read is in flight, so the whole read happens at 0.00.
 */
import { type AsyncFile, open, withFile } from "@aioloop/files";
import { type Coro, gather, getRunningLoop, sleep } from "@aioloop/core";
import { type DemoProgram, flag, formatBytes, parseSize, positionals, secs } from "../program.js";

/** The seed's `ready(path, amount=1024*32)`. */
const DEFAULT_AMOUNT = 32 * 1024;
/** Bytes per read: the seed reads one byte per loop turn; a 1 KiB chunk keeps the turns visible. */
const DEFAULT_CHUNK = 1024;
/** The seed's sleepy('background', 5): five steps, each two half-sleeps of 0.1 s in all. */
const BACKGROUND_STEPS = 5;
const STEP_MS = 100;
/** Reads this long report progress (when the CLI has a terminal for it). */
const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;
/** A long read reports progress each time another tenth of it is in. */
const PROGRESS_STEPS = 10;

export const urandom: DemoProgram = {
  name: "urandom",
  description:
    "reads /dev/urandom in chunks through @aioloop/files while a sleeper keeps its beat (--amount 256M)",
  mode: "host",
  source: "004 How does asyncio actually work? (3.5 Cooperative I/O: AsyncRead and sleepy)",
  *main({ out, args, progress }) {
    const [path = "/dev/urandom"] = positionals(args, ["amount", "chunk"]);
    const amountArg = flag(args, "amount");
    const chunkArg = flag(args, "chunk");
    const amount =
      amountArg === undefined ? DEFAULT_AMOUNT : parseSize(amountArg, "urandom --amount");
    const chunk = chunkArg === undefined ? DEFAULT_CHUNK : parseSize(chunkArg, "urandom --chunk");
    const loop = getRunningLoop();
    const start = loop.time();
    const at = () => secs(loop.time() - start);

    /** await that `duration` ms pass, in two halves (the seed's asleep) */
    function* asleep(duration: number): Coro<void> {
      yield* sleep(duration / 2);
      yield* sleep(duration / 2);
    }
    function* sleepy(identifier: string, count: number): Coro<void> {
      for (let i = 0; i < count; i++) {
        out(`${identifier} step ${i + 1} at ${at()}\n`);
        yield* asleep(STEP_MS);
      }
    }
    /** The seed's AsyncRead: back to the loop, then read, until `amount` bytes (or EOF). */
    function* asyncRead(file: AsyncFile<Uint8Array>, wanted: number): Coro<number> {
      let got = 0;
      const step = Math.ceil(wanted / PROGRESS_STEPS);
      let nextReport = step;
      while (got < wanted) {
        yield; // the seed's `yield self`: let the loop run others before each read
        const data = yield* file.read(Math.min(chunk, wanted - got));
        if (data.length === 0) break; // end of file
        got += data.length;
        if (progress && wanted >= PROGRESS_FROM_BYTES && got >= nextReport) {
          nextReport += step;
          progress(`read ${formatBytes(got)} of ${formatBytes(wanted)} at ${at()} s`);
        }
      }
      return got;
    }
    function* ready(file: string, wanted: number): Coro<void> {
      out(`read ${file} at ${at()}\n`);
      const got = yield* withFile(open(file, "rb"), (f) => asyncRead(f, wanted));
      out(`done ${file} at ${at()} got ${got} B\n`);
    }

    yield* gather([sleepy("background", BACKGROUND_STEPS), ready(path, amount)]);
  },
};
