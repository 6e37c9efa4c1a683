import net from "node:net";
import { type Coro, InvalidStateError, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import {
  ConcurrentReadError,
  ConnectionRefusedError,
  ConnectionResetError,
  GaiError,
  NotSelectorLoopError,
} from "@aioloop/transports";
import { run } from "../src/run.js";
import { SelectorLoop, getSelectorLoop } from "../src/selector-loop.js";
import { HOST, closeServer, dec, enc, listen, pattern, until } from "./support/net.js";

/** A connected pair through the loop: [client, accepted, server]. */
function* pair(loop: SelectorLoop): Coro<[net.Socket, net.Socket, net.Server]> {
  const [server, port] = yield* listen();
  const client = new net.Socket({ allowHalfOpen: true });
  yield* loop.sockConnect(client, { host: HOST, port });
  const [conn] = yield* loop.sockAccept(server);
  return [client, conn, server];
}

function* teardown(server: net.Server, ...socks: net.Socket[]): Coro<void> {
  for (const s of socks) s.destroy();
  yield* closeServer(server);
}

describe("SelectorLoop", () => {
  it("refuses runSync with an error that says what to use instead", () => {
    const loop = new SelectorLoop();
    expect(() => loop.runSync(sleep(0))).toThrow(InvalidStateError);
    expect(() => loop.runSync(sleep(0))).toThrow(/runUntilComplete|run\(main\)/);
    loop.close();
  });

  it("runs timers with the real clock", async () => {
    const v = await run(function* () {
      yield* sleep(2);
      return getSelectorLoop("test") instanceof SelectorLoop;
    });
    expect(v).toBe(true);
  });

  it("addReader calls back with its args while readable; removeReader stops it", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      const got: string[] = [];
      loop.addReader(
        conn,
        (tag: string) => {
          const b = conn.read() as Buffer | null;
          if (b !== null) got.push(`${tag}:${b.toString()}`);
        },
        "r",
      );
      client.write("ping");
      yield* until(() => got.length > 0, "reader callback");
      expect(got).toEqual(["r:ping"]);
      expect(loop.removeReader(conn)).toBe(true);
      expect(loop.removeReader(conn)).toBe(false);
      client.write("more");
      yield* until(() => conn.readableLength > 0, "bytes buffered");
      yield* sleep(2);
      expect(got).toEqual(["r:ping"]); // not called after removal; the bytes wait in Node
      yield* teardown(server, client, conn);
    });
  });

  it("addWriter calls back while writable", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      let calls = 0;
      loop.addWriter(client, () => {
        calls++;
        if (calls === 3) loop.removeWriter(client);
      });
      yield* until(() => calls >= 3, "writer callbacks");
      yield* sleep(2);
      expect(calls).toBe(3); // level-triggered until removed, then never again
      expect(loop.removeWriter(client)).toBe(false);
      yield* teardown(server, client, conn);
    });
  });

  it("orders one iteration: ready callbacks, then I/O callbacks, then due timers", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      client.write("x");
      loop.addReader(conn, () => {}); // start reading, so the byte reaches Node's buffer
      yield* until(() => conn.readableLength > 0, "byte buffered");
      loop.removeReader(conn);
      const order: string[] = [];
      const done = loop.createFuture<void>();
      loop.callSoon(() => {
        // All three become due in the next iteration.
        loop.callLater(0, () => {
          order.push("timer");
          done.setResult(undefined);
        });
        loop.addReader(conn, () => {
          order.push("io");
          loop.removeReader(conn);
        });
        loop.callSoon(() => order.push("ready"));
      });
      yield* done;
      expect(order).toEqual(["ready", "io", "timer"]);
      yield* teardown(server, client, conn);
    });
  });

  it("sockRecv, sockRecvInto and sockSendall move bytes in order", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      const big = pattern(300_000);
      const sending = loop.createTask(loop.sockSendall(client, big));
      const got: Uint8Array[] = [];
      let total = 0;
      while (total < big.length) {
        const b = yield* loop.sockRecv(conn, 65536);
        expect(b.length).toBeGreaterThan(0);
        expect(b.length).toBeLessThanOrEqual(65536);
        got.push(b);
        total += b.length;
      }
      yield* sending;
      expect(Buffer.concat(got).equals(Buffer.from(big))).toBe(true);
      yield* loop.sockSendall(conn, "hello");
      const buf = new Uint8Array(3);
      expect(yield* loop.sockRecvInto(client, buf)).toBe(3);
      expect(dec(buf)).toBe("hel");
      expect(dec(yield* loop.sockRecv(client, 100))).toBe("lo");
      expect(yield* loop.sockRecv(client, 0)).toEqual(new Uint8Array(0));
      conn.end();
      expect(yield* loop.sockRecv(client, 100)).toEqual(new Uint8Array(0)); // EOF
      yield* teardown(server, client, conn);
    });
  });

  it("a second concurrent sockRecv on one socket is a named error", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      const first = loop.createTask(loop.sockRecv(conn, 10));
      yield* sleep(0);
      expect(() => loop.sockRecv(conn, 10).next()).toThrow(ConcurrentReadError);
      client.write(enc("a"));
      expect(dec(yield* first)).toBe("a");
      yield* teardown(server, client, conn);
    });
  });

  it("a cancelled sockRecv leaves no reader behind and loses no bytes", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      const t = loop.createTask(loop.sockRecv(conn, 10));
      yield* sleep(1);
      t.cancel();
      yield* sleep(0);
      expect(t.cancelled()).toBe(true);
      expect(loop.removeReader(conn)).toBe(false);
      client.write("kept");
      expect(dec(yield* loop.sockRecv(conn, 10))).toBe("kept");
      yield* teardown(server, client, conn);
    });
  });

  it("sockRecv returns the bytes sent before a reset, then throws ConnectionResetError", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [client, conn, server] = yield* pair(loop);
      client.write("before reset");
      // The bytes must be in Node's buffer (read from the kernel) when the reset arrives: Linux
      // reports a reset that finds unread bytes in the kernel as a plain EOF after them.
      conn.read(0);
      yield* until(() => conn.readableLength === 12, "bytes in Node's buffer");
      client.resetAndDestroy();
      let got = "";
      let err: unknown;
      try {
        for (;;) {
          const b = yield* loop.sockRecv(conn, 4);
          if (b.length === 0) break;
          got += dec(b);
        }
      } catch (e) {
        err = e;
      }
      expect(got).toBe("before reset");
      expect(err).toBeInstanceOf(ConnectionResetError);
      expect((err as ConnectionResetError).code).toBe("ECONNRESET");
      expect((err as ConnectionResetError).syscall).toBe("read");
      yield* teardown(server, conn);
    });
  });

  it("sockConnect to a closed port throws ConnectionRefusedError keeping Node's code", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const [server, port] = yield* listen();
      yield* closeServer(server);
      const sock = new net.Socket();
      let err: unknown;
      try {
        yield* loop.sockConnect(sock, { host: HOST, port });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectionRefusedError);
      expect((err as ConnectionRefusedError).code).toBe("ECONNREFUSED");
      expect((err as ConnectionRefusedError).syscall).toBe("connect");
      expect((err as Error).message).toContain(`${HOST}:${port}`);
      sock.destroy();
    });
  });

  it("getaddrinfo resolves localhost and names a failure GaiError", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const found = yield* loop.getaddrinfo("localhost", 80);
      expect(found.length).toBeGreaterThan(0);
      expect(found[0]!.port).toBe(80);
      expect(["IPv4", "IPv6"]).toContain(found[0]!.family);
      const v4 = yield* loop.getaddrinfo("127.0.0.1", 1, { family: 4 });
      expect(v4).toEqual([{ host: "127.0.0.1", port: 1, family: "IPv4", familyNumber: 4 }]);
      let err: unknown;
      try {
        // Not a valid host name: the resolver rejects it without asking any DNS server.
        yield* loop.getaddrinfo("bad host!", 80);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GaiError);
    });
  });

  it("signal handlers run on the loop with their args; removal restores the default", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      const got: string[] = [];
      loop.addSignalHandler("SIGUSR2", (tag: string) => got.push(tag), "usr2");
      process.kill(process.pid, "SIGUSR2");
      yield* until(() => got.length > 0, "signal");
      expect(got).toEqual(["usr2"]);
      expect(loop.removeSignalHandler("SIGUSR2")).toBe(true);
      expect(loop.removeSignalHandler("SIGUSR2")).toBe(false);
      expect(process.listenerCount("SIGUSR2")).toBe(0);
      expect(() => loop.addSignalHandler("SIGKILL", () => {})).toThrow(RangeError);
      expect(() => loop.addSignalHandler("SIGNOPE" as NodeJS.Signals, () => {})).toThrow(
        /unknown signal/,
      );
      loop.addSignalHandler("SIGUSR2", () => {});
    });
    expect(process.listenerCount("SIGUSR2")).toBe(0); // closing the loop removed it
  });

  it("a program that only waits for a signal stays alive until it arrives (as asyncio)", async () => {
    const { spawn } = await import("node:child_process");
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { run, getSelectorLoop } from ${JSON.stringify(dist)};
         await run(function* () {
           const loop = getSelectorLoop("child");
           const stop = loop.createFuture();
           loop.addSignalHandler("SIGTERM", () => stop.setResult("stopped"));
           console.log("ready");
           console.log(yield* stop);
         });`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("ready") && !out.includes("sent")) {
        out += "sent\n";
        setTimeout(() => child.kill("SIGTERM"), 50);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(out).toBe("ready\nsent\nstopped\n");
    expect(code).toBe(0);
  });

  it("removing the last signal handler leaves no host timer and no outside source behind", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await run(function* () {
      const loop = getSelectorLoop("test");
      const sources = loop.statistics().outsideSources;
      loop.addSignalHandler("SIGUSR2", () => {});
      loop.addSignalHandler("SIGWINCH", () => {});
      expect(timers()).toBe(before + 1);
      expect(loop.statistics().outsideSources).toBe(sources + 1); // waiting is no deadlock
      loop.removeSignalHandler("SIGUSR2");
      loop.removeSignalHandler("SIGWINCH");
      expect(timers()).toBe(before);
      expect(loop.statistics().outsideSources).toBe(sources);
      yield* sleep(0);
    });
  });

  it("closing the loop destroys the sockets still registered", async () => {
    const loop = new SelectorLoop();
    const socks = await loop.runUntilComplete(
      (function* () {
        const [client, conn, server] = yield* pair(loop);
        loop.addReader(conn, () => {});
        loop.addWriter(client, () => {});
        server.close();
        return [client, conn] as const;
      })(),
    );
    loop.close();
    expect(socks[0].destroyed).toBe(true);
    expect(socks[1].destroyed).toBe(true);
  });

  it("reports I/O counters and polls outside sources (how @aioloop/files plugs in)", async () => {
    await run(function* () {
      const loop = getSelectorLoop("test");
      let polls = 0;
      let done = false;
      const release = loop.addOutsideSource({
        kind: "thread",
        name: "test source",
        poll: () => {
          polls++;
          if (polls === 3) done = true;
        },
      });
      yield* until(() => done, "three polls");
      release();
      const [client, conn, server] = yield* pair(loop);
      client.write("x");
      yield* loop.sockRecv(conn, 1);
      const stats = loop.statistics().backend;
      expect(stats.clock).toBe("real");
      expect(stats.ioCallbacks).toBeGreaterThan(0);
      expect(stats.selectorEvents).toBeGreaterThan(0);
      expect(stats.registered).toBe(0);
      yield* teardown(server, client, conn);
    });
  });

  it("getSelectorLoop names the problem on another kind of loop", async () => {
    const { run: runTimer } = await import("@aioloop/timer-loop");
    await expect(
      runTimer(function* () {
        getSelectorLoop("openConnection");
      }),
    ).rejects.toThrow(NotSelectorLoopError);
  });
});
