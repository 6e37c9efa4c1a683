import { spawnSync } from "node:child_process";
import { type Coro, type Future, getRunningLoop, sleep, waitFor } from "@aioloop/core";
import {
  AddressInUseError,
  BrokenPipeError,
  ConcurrentReadError,
  ConnectionRefusedError,
  ConnectionResetError,
  SocketInUseError,
  createServer,
  openConnection,
  startServer,
} from "@aioloop/transports";
import { describe, expect, it } from "vitest";
import { EpollLoop, getEpollLoop } from "../src/epoll-loop.js";
import type { FdSocket } from "../src/fd-socket.js";
import { epollAvailable } from "../src/native.js";
import { run, runSync } from "../src/run.js";
import { HOST, dec, listener, openFds, portOf } from "./support.js";

/** A connected pair of fds through a loopback listener: [client, server side]. */
function* pair(loop: EpollLoop): Coro<[FdSocket, FdSocket, FdSocket]> {
  const [lsock, port] = listener(loop);
  const client = loop.socket(4);
  yield* loop.sockConnect(client, { host: HOST, port });
  const [conn] = yield* loop.sockAccept(lsock);
  return [client, conn, lsock];
}

describe.runIf(epollAvailable())("EpollLoop: asyncio's fd-level API", () => {
  it("addReader calls back with its args while readable; removeReader stops it", async () => {
    await run(function* () {
      const loop = getEpollLoop("t");
      const [client, conn, lsock] = yield* pair(loop);
      const seen: string[] = [];
      const got = loop.createFuture<void>();
      loop.addReader(
        conn,
        (tag: string, n: number) => {
          seen.push(`${tag}${n}`);
          if (seen.length === 2 && !got.done()) got.setResult(undefined);
        },
        "r",
        1,
      );
      yield* loop.sockSendall(client, "hi");
      yield* got; // level-triggered: called again while the bytes stay unread
      expect(loop.removeReader(conn)).toBe(true);
      expect(loop.removeReader(conn)).toBe(false);
      expect(dec(yield* loop.sockRecv(conn, 16))).toBe("hi");
      expect(seen).toEqual(["r1", "r1"]);
      for (const s of [client, conn, lsock]) s.close();
    });
  });

  it("addWriter calls back while writable; removeWriter stops it", async () => {
    await run(function* () {
      const loop = getEpollLoop("t");
      const [client, conn, lsock] = yield* pair(loop);
      let calls = 0;
      const fut = loop.createFuture<void>();
      loop.addWriter(client, () => {
        if (++calls === 3) fut.setResult(undefined);
      });
      yield* fut; // level-triggered: called every iteration while writable
      expect(loop.removeWriter(client)).toBe(true);
      expect(loop.removeWriter(client)).toBe(false);
      for (const s of [client, conn, lsock]) s.close();
    });
  });

  it("sockRecv, sockRecvInto, sockSendall and sockAccept move bytes in order, in both run modes", async () => {
    function* main(): Coro<string> {
      const loop = getEpollLoop("t");
      const [client, conn, lsock] = yield* pair(loop);
      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
      const reading = loop.createTask(
        (function* () {
          let total = 0;
          let ok = true;
          while (total < big.length) {
            const b = yield* loop.sockRecv(conn, 65536);
            for (let i = 0; i < b.length; i++) if (b[i] !== ((total + i) & 0xff)) ok = false;
            total += b.length;
          }
          return ok;
        })(),
      );
      yield* loop.sockSendall(client, big); // more than the kernel buffers: waits for writable
      expect(yield* reading).toBe(true);
      yield* loop.sockSendall(client, "tail");
      const into = new Uint8Array(10);
      const n = yield* loop.sockRecvInto(conn, into);
      client.shutdown(1);
      expect(yield* loop.sockRecv(conn, 10)).toHaveLength(0); // EOF
      for (const s of [client, conn, lsock]) s.close();
      return dec(into.subarray(0, n));
    }
    expect(await run(main)).toBe("tail");
    expect(runSync(main)).toBe("tail");
  });

  it("a second concurrent sockRecv is ConcurrentReadError; a cancelled one leaves no reader and loses no bytes", async () => {
    await run(function* () {
      const loop = getEpollLoop("t");
      const [client, conn, lsock] = yield* pair(loop);
      const first = loop.createTask(loop.sockRecv(conn, 10));
      yield* sleep(0);
      expect(() => loop.sockRecv(conn, 10).next()).toThrow(ConcurrentReadError);
      first.cancel();
      yield* sleep(0);
      expect(first.cancelled()).toBe(true);
      yield* loop.sockSendall(client, "kept");
      expect(dec(yield* loop.sockRecv(conn, 10))).toBe("kept");
      let err: unknown;
      try {
        yield* waitFor(loop.sockRecv(conn, 10), 5);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect(loop.statistics().backend).toMatchObject({ watched: 0 });
      for (const s of [client, conn, lsock]) s.close();
    });
  });

  it("faults are named errors with code and syscall: refused, in use, reset, broken pipe", async () => {
    await run(function* () {
      const loop = getEpollLoop("t");
      const [lsock, port] = listener(loop);
      const taken = loop.socket(4);
      let inUse: unknown;
      try {
        taken.bind({ host: HOST, port });
      } catch (e) {
        inUse = e;
      }
      taken.close();
      expect(inUse).toBeInstanceOf(AddressInUseError);
      expect(inUse).toMatchObject({ code: "EADDRINUSE", syscall: "bind" });
      lsock.close();
      const s = loop.socket(4);
      let refused: unknown;
      try {
        yield* loop.sockConnect(s, { host: HOST, port });
      } catch (e) {
        refused = e;
      }
      s.close();
      expect(refused).toBeInstanceOf(ConnectionRefusedError);
      expect(refused).toMatchObject({ code: "ECONNREFUSED", syscall: "connect" });

      const [client, conn, l2] = yield* pair(loop);
      yield* loop.sockSendall(client, "before");
      client.resetOnClose();
      client.close(); // RST
      expect(dec(yield* loop.sockRecv(conn, 100))).toBe("before"); // bytes first
      let reset: unknown;
      try {
        yield* loop.sockRecv(conn, 100);
      } catch (e) {
        reset = e;
      }
      expect(reset).toBeInstanceOf(ConnectionResetError);
      expect(reset).toMatchObject({ code: "ECONNRESET", syscall: "recv" });
      let pipe: unknown;
      try {
        for (let i = 0; i < 10; i++) yield* loop.sockSendall(conn, "x");
      } catch (e) {
        pipe = e;
      }
      expect(pipe).toBeInstanceOf(BrokenPipeError);
      expect(pipe).toMatchObject({ code: "EPIPE", syscall: "send" });
      conn.close();
      l2.close();
    });
  });

  it("refuses addReader on an fd a transport drives, and validates its arguments", async () => {
    await run(function* () {
      const loop = getEpollLoop("t");
      const server = yield* createServer(() => ({}), { host: HOST, port: 0 });
      const lfd = (server.sockets[0] as FdSocket).fileno();
      expect(() => loop.addReader(lfd, () => {})).toThrow(SocketInUseError);
      expect(() => loop.addReader(-1, () => {})).toThrow(TypeError);
      expect(() => loop.addReader(lfd, 3 as never)).toThrow(TypeError);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("leaves no file descriptor open once the loop is closed", async () => {
    const before = openFds();
    const loop = new EpollLoop();
    await loop.runUntilComplete(
      (function* () {
        const server = yield* createServer(() => ({ connectionMade() {} }), {
          host: HOST,
          port: 0,
        });
        const port = portOf(server);
        for (let i = 0; i < 5; i++) {
          yield* (getRunningLoop() as EpollLoop).createConnection(() => ({}), HOST, port);
        }
        yield* sleep(5); // connections accepted; all left open on purpose
      })(),
    );
    expect(openFds()).toBeGreaterThan(before + 10);
    loop.close();
    expect(openFds()).toBe(before);
  });

  it("a worker thread's wake-word notify ends a runSync blocked in epoll_wait", async () => {
    const { Worker } = await import("node:worker_threads");
    const loop = new EpollLoop();
    const word = loop.wakeWord!;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const t0 = performance.now();
    const waited = loop.runSync(
      (function* () {
        const [client, conn, lsock] = yield* pair(loop); // sockets registered: epoll_wait blocks
        loop.addReader(conn, () => {});
        const done: Future<void> = loop.createFuture();
        const release = loop.addOutsideSource({
          kind: "thread",
          name: "test worker",
          poll() {
            if (Atomics.load(flag, 0) === 1 && !done.done()) done.setResult(undefined);
          },
        });
        const w = new Worker(
          `const { workerData: { word, flag } } = require("node:worker_threads");
           setTimeout(() => { Atomics.store(flag, 0, 1); Atomics.store(word, 0, 1); Atomics.notify(word, 0); }, 50);`,
          { eval: true, workerData: { word, flag } },
        );
        yield* waitFor(done, 5000); // no timer would end the wait: only the worker can
        release();
        loop.removeReader(conn);
        void w.terminate();
        for (const s of [client, conn, lsock]) s.close();
        return performance.now() - t0;
      })(),
    );
    loop.close();
    // Woken by the worker (waitFor above fails the test if nothing does), not before it wrote.
    expect(waited).toBeGreaterThanOrEqual(40);
  });

  it("serves IPv6 loopback as IPv4 (createServer, openConnection, sockAccept of a raw fd)", async () => {
    const got = await run(function* () {
      const loop = getEpollLoop("t");
      const server = yield* startServer(
        function* (reader, writer) {
          writer.write(yield* reader.readline());
          writer.close();
        },
        { host: "::1", port: 0 },
      );
      const [reader, writer] = yield* openConnection(server.address()!);
      writer.write("six\n");
      const line = dec(yield* reader.readline());
      expect(writer.getExtraInfo("peername")).toMatchObject({ host: "::1", family: "IPv6" });
      writer.close();
      server.close();
      yield* server.waitClosed();
      const l = loop.socket(6);
      l.bind({ host: "::1", port: 0 });
      l.listen(8);
      const c = loop.socket(6);
      yield* loop.sockConnect(c, l.getsockname() as { host: string; port: number });
      const [conn, peer] = yield* loop.sockAccept(l.fileno());
      expect(conn.family).toBe(6);
      expect(peer).toMatchObject({ host: "::1", family: "IPv6" });
      for (const s of [c, conn, l]) s.close();
      return line;
    });
    expect(got).toBe("six\n");
  });

  it("closing the loop makes later calls LoopClosedError; getEpollLoop names another loop", () => {
    const loop = new EpollLoop();
    loop.close();
    expect(() => loop.socket()).toThrow(/closed/);
    expect(() => loop.addReader(0, () => {})).toThrow(/closed/);
    expect(() => getEpollLoop("x")).toThrow(/no running/i);
  });

  it("without the addon, new EpollLoop() throws EpollUnavailableError pointing at SelectorLoop", () => {
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `Object.defineProperty(process, "platform", { value: "darwin" });
         const { EpollLoop, epollAvailable } = await import(${JSON.stringify(dist)});
         console.log(epollAvailable());
         try { new EpollLoop(); } catch (e) { console.log(e.name + ": " + e.message); }`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(r.stdout).toContain("false");
    expect(r.stdout).toMatch(/EpollUnavailableError: EpollLoop is not available: .*darwin/);
    expect(r.stdout).toContain("SelectorLoop from @aioloop/selector-loop");
  });
});
