// asyncio's socket-level API (addReader/addWriter, sockRecv, sockRecvInto, sockSendall,
// sockConnect, getaddrinfo) on every socket loop of the matrix: net.Sockets on SelectorLoop, file
// descriptors on EpollLoop. support/loops.ts says how each kind of socket is made and poked.
import { sleep } from "@aioloop/core";
import {
  ConcurrentReadError,
  ConnectionRefusedError,
  ConnectionResetError,
  GaiError,
} from "@aioloop/transports";
import { describe, expect, it } from "vitest";
import { SOCKET_LOOPS } from "./support/loops.js";
import { HOST, closeServer, dec, listen, pattern, until } from "./support/net.js";

describe.each(SOCKET_LOOPS)("sockets on $name", (loopCase) => {
  const { run, raw } = loopCase;

  it("addReader calls back with its args while readable; removeReader stops it", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
      const got: string[] = [];
      loop.addReader(
        conn,
        (tag: string) => {
          const b = raw.readNow(conn);
          if (b !== null) got.push(`${tag}:${dec(b)}`);
        },
        "r",
      );
      raw.write(client, "ping");
      yield* until(() => got.length > 0, "reader callback");
      expect(got).toEqual(["r:ping"]);
      expect(loop.removeReader(conn)).toBe(true);
      expect(loop.removeReader(conn)).toBe(false);
      raw.write(client, "more");
      yield* until(() => raw.unread(conn) > 0, "bytes arrived");
      yield* sleep(2);
      expect(got).toEqual(["r:ping"]); // not called after removal; the bytes wait unread
      yield* teardown();
    });
  });

  it("addWriter calls back while writable", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, teardown } = yield* raw.pair();
      let calls = 0;
      loop.addWriter(client, () => {
        calls++;
        if (calls === 3) loop.removeWriter(client);
      });
      yield* until(() => calls >= 3, "writer callbacks");
      yield* sleep(2);
      expect(calls).toBe(3); // level-triggered until removed, then never again
      expect(loop.removeWriter(client)).toBe(false);
      yield* teardown();
    });
  });

  it("orders one iteration: ready callbacks, then I/O callbacks, then due timers", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
      raw.write(client, "x");
      yield* until(() => raw.unread(conn) > 0, "byte arrived");
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
      yield* teardown();
    });
  });

  it("sockRecv, sockRecvInto and sockSendall move bytes in order", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
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
      raw.shutdownWrite(conn);
      expect(yield* loop.sockRecv(client, 100)).toEqual(new Uint8Array(0)); // EOF
      yield* teardown();
    });
  });

  it("a second concurrent sockRecv on one socket is a named error", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
      const first = loop.createTask(loop.sockRecv(conn, 10));
      yield* sleep(0);
      expect(() => loop.sockRecv(conn, 10).next()).toThrow(ConcurrentReadError);
      raw.write(client, "a");
      expect(dec(yield* first)).toBe("a");
      yield* teardown();
    });
  });

  it("a cancelled sockRecv leaves no reader behind and loses no bytes", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
      const t = loop.createTask(loop.sockRecv(conn, 10));
      yield* sleep(1);
      t.cancel();
      yield* sleep(0);
      expect(t.cancelled()).toBe(true);
      expect(loop.removeReader(conn)).toBe(false);
      raw.write(client, "kept");
      expect(dec(yield* loop.sockRecv(conn, 10))).toBe("kept");
      yield* teardown();
    });
  });

  it("sockRecv returns the bytes sent before a reset, then throws ConnectionResetError", async () => {
    await run(function* () {
      const loop = raw.loop();
      const { client, conn, teardown } = yield* raw.pair();
      raw.write(client, "before reset");
      // The bytes must have arrived when the reset does (on SelectorLoop: in Node's buffer):
      // Linux reports a reset that finds unread bytes in Node's kernel queue as a plain EOF.
      yield* until(() => raw.unread(conn) === 12, "bytes arrived");
      raw.reset(client);
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
      expect((err as ConnectionResetError).syscall).toBe(loopCase.syscall.read);
      yield* teardown();
    });
  });

  it("sockConnect to a closed port throws ConnectionRefusedError keeping the code", async () => {
    await run(function* () {
      const loop = raw.loop();
      const [server, port] = yield* listen();
      yield* closeServer(server);
      const sock = raw.fresh();
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
      raw.close(sock);
    });
  });

  it("getaddrinfo resolves localhost and names a failure GaiError", async () => {
    await run(function* () {
      const loop = raw.loop();
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
});
