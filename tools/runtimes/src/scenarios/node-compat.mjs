// The scenarios of selector-loop and files: they need Node's modules (net, child_process,
// worker_threads, fs), so they run under Node, Bun and Deno as far as those runtimes' Node
// compatibility goes. Reported, not gating: the table says what runs where.

import { forEach, getRunningLoop } from "@aioloop/core";
import { open, os, ospath, tempfile, withFile } from "@aioloop/files";
import {
  PIPE,
  Protocol,
  createConnection,
  createServer,
  createSubprocessExec,
  openConnection,
  run,
  startServer,
} from "@aioloop/selector-loop";
import { run as timerRun, runSync as timerRunSync } from "@aioloop/timer-loop";
import { eq, ok } from "./harness.mjs";

const text = (bytes) => new TextDecoder().decode(bytes);

/** Write, read back, stat, list and remove files in a temporary directory. */
function* fileRoundTrip() {
  return yield* withFile(tempfile.TemporaryDirectory(), function* (d) {
    const path = `${d.name}/lines.txt`;
    yield* withFile(open(path, "w"), (f) => f.write("one\ntwo\nthree\n"));
    eq(
      yield* withFile(open(path), (f) => f.read()),
      "one\ntwo\nthree\n",
      "read() of what was written",
    );
    eq(
      yield* withFile(open(path), (f) => f.readlines()),
      ["one\n", "two\n", "three\n"],
      "readlines()",
    );
    const bin = `${d.name}/bytes.bin`;
    yield* withFile(open(bin, "wb"), (f) => f.write(new Uint8Array([0, 1, 2, 255])));
    eq(
      [...(yield* withFile(open(bin, "rb"), (f) => f.read()))],
      [0, 1, 2, 255],
      "binary round trip",
    );
    const st = yield* os.stat(path);
    eq(st.size, 14, "os.stat(path).size");
    eq((yield* os.listdir(d.name)).sort(), ["bytes.bin", "lines.txt"], "os.listdir");
    yield* os.remove(path);
    ok(!(yield* ospath.exists(path)), "the file is gone after os.remove");
    return d.name;
  });
}

export const scenarios = {
  "selector-echo-streams": async () => {
    const lines = await run(function* () {
      const server = yield* startServer(
        function* (reader, writer) {
          yield* forEach(reader.lines(), function* (line) {
            writer.write(line);
            yield* writer.drain();
          });
          writer.close();
        },
        { host: "127.0.0.1", port: 0 },
      );
      const [reader, writer] = yield* openConnection(server.address());
      const got = [];
      for (const msg of ["hello\n", "world\n"]) {
        writer.write(msg);
        yield* writer.drain();
        got.push(text(yield* reader.readline()));
      }
      writer.close();
      yield* writer.waitClosed();
      server.close();
      yield* server.waitClosed();
      return got;
    });
    eq(lines, ["hello\n", "world\n"], "the echoed lines");
  },

  "selector-echo-protocols": async () => {
    class Echo extends Protocol {
      connectionMade(t) {
        this.transport = t;
      }
      dataReceived(data) {
        this.transport.write(data);
      }
    }
    class Client extends Protocol {
      constructor(done) {
        super();
        this.done = done;
        this.got = "";
      }
      dataReceived(data) {
        this.got += text(data);
        if (this.got.endsWith("\n") && !this.done.done()) this.done.setResult(this.got);
      }
    }
    const got = await run(function* () {
      const server = yield* createServer(() => new Echo(), { host: "127.0.0.1", port: 0 });
      const { host, port } = server.address();
      const done = getRunningLoop().createFuture();
      const [transport] = yield* createConnection(() => new Client(done), host, port);
      transport.write(new TextEncoder().encode("ping\n"));
      const echoed = yield* done;
      transport.close();
      server.close();
      yield* server.waitClosed();
      return echoed;
    });
    eq(got, "ping\n", "the echoed bytes");
  },

  "selector-subprocess": async () => {
    // Five in a row: closing a child's pipes races with their flushing, and a failure that
    // shows in some runs only must show in the table every time.
    const got = await run(function* () {
      const outs = [];
      for (let i = 0; i < 5; i++) {
        const proc = yield* createSubprocessExec("cat", [], { stdin: PIPE, stdout: PIPE });
        const [stdout] = yield* proc.communicate(new TextEncoder().encode(`piped ${i}\n`));
        outs.push([text(stdout), proc.returncode]);
      }
      return outs;
    });
    eq(
      got,
      [0, 1, 2, 3, 4].map((i) => [`piped ${i}\n`, 0]),
      "cat's output and exit code",
    );
  },

  "files-host": async () => {
    await timerRun(fileRoundTrip);
  },

  "files-runsync": () => {
    timerRunSync(fileRoundTrip);
  },
};
