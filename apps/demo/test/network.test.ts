import { CancelledError, type Coro, type Task, createTask, sleep } from "@aioloop/core";
import { SelectorLoop, openConnection, run } from "@aioloop/selector-loop";
import { describe, expect, it } from "vitest";
import { type DemoProgram, UsageError } from "../src/program.js";
import { PROGRAMS } from "../src/programs/index.js";

function find(name: string): DemoProgram {
  return PROGRAMS.find((p) => p.name === name) as DemoProgram;
}

/** Start a server program as a task; resolves its port from the line it prints. */
function* startServing(name: string, args: string[], sink: { text: string }) {
  const task = createTask(
    find(name).main({ clock: "real", args, out: (s) => (sink.text += s), progress: () => {} }),
  );
  while (!/127\.0\.0\.1:\d+/.test(sink.text)) {
    if (task.done()) task.result(); // it failed: show why
    yield* sleep(1);
  }
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(sink.text)![1]);
  return { task, port };
}

/** Ctrl-C for a server task: cancel it and wait until serveForever has closed everything. */
function* stop(task: Task<void>): Coro<void> {
  task.cancel();
  try {
    yield* task;
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
  }
  expect(task.cancelled()).toBe(true);
}

const decoder = new TextDecoder();

describe("the socket programs (selector-loop examples) on loopback", () => {
  it("declare the selector loop, so the CLI gives them sockets", () => {
    for (const name of ["echo-server", "echo-client", "chat"]) {
      expect(find(name).loop).toBe("selector");
      expect(find(name).mode).toBe("host");
    }
  });

  for (const mode of ["streams", "protocol"] as const) {
    it(`echo-client measures an echo-server (${mode}) with a handful of requests`, async () => {
      const server = { text: "" };
      let client = "";
      await run(function* (): Coro<void> {
        const { task, port } = yield* startServing(
          "echo-server",
          ["--port", "0", "--mode", mode],
          server,
        );
        yield* find("echo-client").main({
          clock: "real",
          args: [
            "--port",
            String(port),
            "--connections",
            "2",
            "--requests",
            "10",
            "--size",
            "1K,10K",
          ],
          out: (s) => (client += s),
        });
        yield* stop(task);
      });
      expect(server.text).toMatch(
        new RegExp(
          `^echo server \\(${mode}\\) listening on 127\\.0\\.0\\.1:\\d+; Ctrl-C stops it\\n$`,
        ),
      );
      const lines = client.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(
        /^ {2}1\.0 KiB messages, 2 connections: 10 requests in \d+\.\d\d s = \d+ req\/s, \d+\.\d MiB\/s$/,
      );
      expect(lines[1]).toMatch(/^ 10\.0 KiB messages, 2 connections: 10 requests in /);
    });
  }

  it("echo-client without --port runs against its own server, which it closes", async () => {
    let out = "";
    const loop = new SelectorLoop();
    await run(
      find("echo-client").main({
        clock: "real",
        args: ["--requests", "4", "--connections", "1", "--size", "100K", "--mode", "protocol"],
        out: (s) => (out += s),
      }),
      { loop },
    );
    expect(out).toMatch(/^echo server \(protocol, in this process\) on 127\.0\.0\.1:\d+\n/);
    expect(out).toMatch(/100\.0 KiB messages, 1 connections: 4 requests in/);
    expect(loop.isClosed()).toBe(true);
  });

  it("echo-server --for stops by itself and says how many it served", async () => {
    const server = { text: "" };
    await run(function* (): Coro<void> {
      const { task, port } = yield* startServing(
        "echo-server",
        ["--port", "0", "--for", "0.2"],
        server,
      );
      const [reader, writer] = yield* openConnection({ host: "127.0.0.1", port });
      writer.write("ping\n");
      expect(decoder.decode(yield* reader.readline())).toBe("ping\n");
      writer.close();
      yield* writer.waitClosed();
      yield* task;
    });
    expect(server.text).toMatch(/for 0\.2 s\n/);
    expect(server.text).toMatch(/echo server closed after 1 connections\n$/);
  });

  it("chat broadcasts a line to the other members and reports who is here", async () => {
    const server = { text: "" };
    await run(function* (): Coro<void> {
      const { task, port } = yield* startServing("chat", ["--port", "0"], server);
      const [ra, wa] = yield* openConnection({ host: "127.0.0.1", port });
      expect(decoder.decode(yield* ra.readline())).toMatch(/^welcome, user\d+!/);
      const [rb, wb] = yield* openConnection({ host: "127.0.0.1", port });
      expect(decoder.decode(yield* rb.readline())).toMatch(/^welcome, user\d+!/);
      expect(decoder.decode(yield* ra.readline())).toMatch(/^\* user\d+ joined\n$/);
      wa.write("/nick alice\n");
      expect(decoder.decode(yield* rb.readline())).toMatch(/^\* user\d+ is now alice\n$/);
      wa.write("hello\n");
      expect(decoder.decode(yield* rb.readline())).toBe("alice: hello\n");
      yield* sleep(1100); // one membership report
      for (const w of [wa, wb]) {
        w.close();
        yield* w.waitClosed();
      }
      yield* stop(task);
    });
    expect(server.text).toMatch(
      /^chat server on 127\.0\.0\.1:\d+: connect with `nc 127\.0\.0\.1 \d+`/,
    );
    expect(server.text).toMatch(/here now: (alice, user\d+|user\d+, alice)\n/);
  });

  it("bad flags are usage errors", async () => {
    await expect(
      run(find("echo-server").main({ clock: "real", args: ["--mode", "udp"], out: () => {} })),
    ).rejects.toThrow(UsageError);
    await expect(
      run(find("echo-client").main({ clock: "real", args: ["--size", "big"], out: () => {} })),
    ).rejects.toThrow(/--size/);
    await expect(
      run(find("chat").main({ clock: "real", args: ["--port", "70000"], out: () => {} })),
    ).rejects.toThrow(/0 to 65535/);
  });
});
