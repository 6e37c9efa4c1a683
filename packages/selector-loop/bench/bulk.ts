/**
 * Bulk transfer with backpressure: 1 GiB from a fast writer to a reader through streams on one
 * SelectorLoop, over loopback. Reports throughput and the most memory the transfer held: the
 * writer's transport buffer (bounded by the 64 KiB high-water mark plus one write), the
 * reader's StreamReader buffer (bounded by twice its limit plus Node's read-ahead), and the
 * growth of the process's resident memory.
 *
 * HOW: the writer loops `write(1 MiB) ; yield* drain()`; the reader loops `read(64 KiB)`. If
 * backpressure failed, the writer would queue the whole gigabyte in memory and RSS would show
 * it. (The fast test in test/streams.test.ts does the same with 64 MiB.)
 *
 * Run (from the repository root, after `npx tsc -b` in packages/selector-loop):
 *   npx -y tsx@4.23.15 packages/selector-loop/bench/bulk.ts [MiB]
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MIB = 1024 * 1024;
/** Default amount to move: 1 GiB. */
const DEFAULT_MIB = 1024;
/** Bytes per write (a fast writer: far above the transport's 64 KiB high-water mark). */
const WRITE_SIZE = MIB;
/** Bytes per read. */
const READ_SIZE = 64 * 1024;

const dist = (f: string) => new URL(`../dist/${f}`, import.meta.url);

async function main(): Promise<void> {
  if (!existsSync(fileURLToPath(dist("index.js")))) {
    console.error("build first: cd packages/selector-loop && npx tsc -b");
    process.exit(2);
  }
  type Mod = typeof import("../src/index.js");
  const m = (await import(dist("index.js").href)) as Mod;
  const total = Number(process.argv[2] ?? DEFAULT_MIB) * MIB;
  const rss0 = process.memoryUsage().rss;
  let maxRss = rss0;
  let maxWriteBuffer = 0;
  let maxReadBuffer = 0;
  let received = 0;
  const t0 = performance.now();
  await m.run(function* () {
    const server = yield* m.startServer(
      function* (reader, writer) {
        for (;;) {
          maxReadBuffer = Math.max(maxReadBuffer, reader.bufferedLength);
          const b = yield* reader.read(READ_SIZE);
          if (b.length === 0) break;
          received += b.length;
        }
        writer.close();
      },
      { host: "127.0.0.1", port: 0 },
    );
    const [reader, writer] = yield* m.openConnection(server.address()!);
    const chunk = new Uint8Array(WRITE_SIZE).fill(0x5a);
    for (let sent = 0; sent < total; sent += chunk.length) {
      writer.write(chunk);
      maxWriteBuffer = Math.max(maxWriteBuffer, writer.transport.getWriteBufferSize());
      yield* writer.drain();
      if ((sent & (64 * MIB - 1)) === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
    }
    writer.writeEof();
    yield* reader.read(); // the server closes after our EOF
    writer.close();
    yield* writer.waitClosed();
    server.close();
    yield* server.waitClosed();
  });
  const seconds = (performance.now() - t0) / 1000;
  if (received !== total) throw new Error(`received ${received} of ${total} bytes`);
  console.table([
    {
      "MiB moved": total / MIB,
      seconds: Number(seconds.toFixed(2)),
      "MiB/s": Math.round(total / MIB / seconds),
      "max write buffer (KiB)": Math.round(maxWriteBuffer / 1024),
      "max reader buffer (KiB)": Math.round(maxReadBuffer / 1024),
      "RSS growth (MiB)": Number(((maxRss - rss0) / MIB).toFixed(1)),
    },
  ]);
}

await main();
