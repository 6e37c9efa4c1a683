import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Coro, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import {
  type Address,
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  DEFAULT_HIGH_WATER,
  Protocol,
  type Server,
  type SocketAddress,
  SocketInUseError,
  type Transport,
  TransportClosedError,
  createConnection,
  createServer,
  createUnixConnection,
  getSocketLoop,
  isUnixAddress,
} from "@aioloop/transports";
import { SOCKET_LOOPS } from "./support/loops.js";
import { HOST, dec, pattern, portOf, until } from "./support/net.js";
import { Echo, Recorder } from "./support/protocols.js";

/** A Recorder connected to `a` (createConnection, or createUnixConnection for a path). */
function connectTo(a: Address): Coro<[Transport, Recorder]> {
  const factory = () => new Recorder();
  return isUnixAddress(a)
    ? createUnixConnection(factory, a.path)
    : createConnection(factory, a.host, a.port);
}

/** A server whose protocols are Recorders; returns it, its port and the recorders made. */
function* recordingServer(): Coro<[Server, number, Recorder[]]> {
  const made: Recorder[] = [];
  const server = yield* createServer(
    () => {
      const r = new Recorder();
      made.push(r);
      return r;
    },
    HOST,
    0,
  );
  return [server, portOf(server), made];
}

describe.each(SOCKET_LOOPS)("transports and protocols on $name", (loopCase) => {
  const { run } = loopCase;
  it("echoes through a protocol server, in the asyncio callback order", async () => {
    await run(function* () {
      const server = yield* createServer(() => new Echo(), HOST, 0);
      const port = portOf(server);
      const [t, client] = yield* createConnection(() => new Recorder(), HOST, port);
      expect(client.events).toEqual(["made"]);
      t.write("hello ");
      t.writelines(["wor", new TextEncoder().encode("ld")]);
      yield* until(() => client.size === 11, "echo");
      expect(dec(client.received())).toBe("hello world");
      expect(t.canWriteEof()).toBe(true);
      t.writeEof();
      const exc = yield* client.lost; // the echo server closes on EOF
      expect(exc).toBeNull();
      expect(client.events).toEqual(["made", "data", "eof", "lost"]);
      expect(t.isClosing()).toBe(true);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("createServer takes the address as startServer does, { host, port } or { path }, and options", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aioloop-"));
    try {
      await run(function* () {
        const loop = getSocketLoop("t");
        const servers: Server[] = [
          yield* createServer(() => new Echo(), { host: HOST, port: 0 }),
          yield* createServer(() => new Echo(), { path: join(dir, "echo.sock") }),
          yield* loop.createServer(() => new Echo(), { host: HOST, port: 0 }, { backlog: 8 }),
          yield* createServer(() => new Echo(), HOST, 0), // the positional form still works
        ];
        expect(servers[0]!.address()).toEqual({ host: HOST, port: expect.any(Number) });
        expect(servers[1]!.address()).toEqual({ path: join(dir, "echo.sock") });
        for (const server of servers) {
          const [t, client] = yield* connectTo(server.address()!);
          t.write("ping");
          yield* until(() => client.size === 4, "echo");
          t.close();
          yield* client.lost;
        }
        const paused = yield* createServer(
          () => new Echo(),
          { host: HOST, port: 0 },
          { startServing: false },
        );
        expect(paused.isServing()).toBe(false);
        servers.push(paused);
        const bad = (() =>
          createServer(() => new Echo(), { host: HOST } as never)) as () => Coro<Server>;
        expect(() => bad().next()).toThrow(TypeError);
        for (const server of servers) server.close();
        for (const server of servers) yield* server.waitClosed();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives peername, sockname and the socket as extra info", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t] = yield* createConnection(() => new Recorder(), HOST, port);
      const peer = t.getExtraInfo("peername") as SocketAddress;
      expect(peer).toEqual({ host: HOST, port, family: "IPv4" });
      expect((t.getExtraInfo("sockname") as SocketAddress).host).toBe(HOST);
      expect(t.getExtraInfo("socket")).toBeInstanceOf(loopCase.socketClass);
      expect(t.getExtraInfo("pipe", undefined)).toBeUndefined();
      yield* until(() => made.length === 1, "accept");
      yield* made[0]!.made;
      expect(made[0]!.transport.getExtraInfo("peername")).toEqual(t.getExtraInfo("sockname"));
      t.close();
      yield* made[0]!.lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("half-close: eofReceived returning true keeps the write side open", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t, client] = yield* createConnection(() => new Recorder(), HOST, port);
      yield* until(() => made.length === 1, "accept");
      const srv = made[0]!;
      srv.keepOpenOnEof = true;
      t.write("question");
      t.writeEof();
      expect(() => t.write("more")).toThrow(TransportClosedError);
      yield* until(() => srv.events.includes("eof"), "server eof");
      expect(dec(srv.received())).toBe("question");
      srv.transport.write("answer after your EOF");
      srv.transport.close();
      expect(yield* client.lost).toBeNull();
      expect(dec(client.received())).toBe("answer after your EOF");
      expect(client.events).toEqual(["made", "data", "eof", "lost"]);
      expect(yield* srv.lost).toBeNull();
      server.close();
      yield* server.waitClosed();
    });
  });

  it("pauseReading stops dataReceived until resumeReading; nothing is lost", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t] = yield* createConnection(() => new Recorder(), HOST, port);
      yield* until(() => made.length === 1, "accept");
      const srv = made[0]!;
      yield* srv.made;
      expect(srv.transport.isReading()).toBe(true);
      srv.transport.pauseReading();
      expect(srv.transport.isReading()).toBe(false);
      t.write("while paused");
      yield* sleep(20);
      expect(srv.size).toBe(0);
      srv.transport.resumeReading();
      yield* until(() => srv.size === 12, "data after resume");
      expect(dec(srv.received())).toBe("while paused");
      t.abort();
      expect(yield* srv.lost).toBeNull(); // a clean close on our side is EOF for the peer
      server.close();
      yield* server.waitClosed();
    });
  });

  it("calls pauseWriting over the high-water mark and resumeWriting at the low one", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t, client] = yield* createConnection(() => new Recorder(), HOST, port);
      yield* until(() => made.length === 1, "accept");
      const srv = made[0]!;
      yield* srv.made;
      srv.transport.pauseReading(); // a slow reader: the kernel buffers fill up
      expect(t.getWriteBufferLimits()).toEqual([DEFAULT_HIGH_WATER / 4, DEFAULT_HIGH_WATER]);
      const chunk = pattern(64 * 1024);
      let sent = 0;
      while (!client.events.includes("pause")) {
        t.write(chunk);
        sent += chunk.length;
        if (!client.events.includes("pause")) yield* sleep(1);
      }
      expect(t.getWriteBufferSize()).toBeGreaterThan(DEFAULT_HIGH_WATER);
      srv.transport.resumeReading();
      yield* until(() => client.events.includes("resume"), "resumeWriting");
      expect(t.getWriteBufferSize()).toBeLessThanOrEqual(DEFAULT_HIGH_WATER / 4);
      yield* until(() => srv.size === sent, "all bytes");
      t.close();
      yield* srv.lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("refuses addReader/removeReader on a socket a transport drives", async () => {
    await run(function* () {
      const loop = loopCase.readiness(getSocketLoop("t"));
      const [server, port, made] = yield* recordingServer();
      const [t] = yield* createConnection(() => new Recorder(), HOST, port);
      const sock = t.getExtraInfo("socket");
      expect(() => loop.addReader(sock, () => {})).toThrow(SocketInUseError);
      expect(() => loop.removeReader(sock)).toThrow(SocketInUseError);
      expect(() => loop.addWriter(sock, () => {})).toThrow(SocketInUseError);
      t.close();
      yield* until(() => made.length === 1, "accept");
      yield* made[0]!.lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("validates setWriteBufferLimits as asyncio does", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t] = yield* createConnection(() => new Recorder(), HOST, port);
      t.setWriteBufferLimits(1000);
      expect(t.getWriteBufferLimits()).toEqual([250, 1000]);
      t.setWriteBufferLimits(undefined, 100);
      expect(t.getWriteBufferLimits()).toEqual([100, 400]);
      expect(() => t.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(() => t.setWriteBufferLimits(-1, -2)).toThrow(/must be >= 0/);
      t.close();
      yield* until(() => made.length === 1, "accept");
      yield* made[0]!.lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("a peer reset mid-stream: every byte received first, then ConnectionResetError", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const raw = net.connect(port, HOST);
      yield* until(() => made.length === 1, "accept");
      const srv = made[0]!;
      const payload = pattern(200_000);
      raw.write(payload);
      yield* until(() => srv.size === payload.length, "payload");
      raw.resetAndDestroy();
      const exc = yield* srv.lost;
      expect(exc).toBeInstanceOf(ConnectionResetError);
      expect((exc as ConnectionResetError).code).toBe("ECONNRESET");
      expect(Buffer.from(srv.received()).equals(Buffer.from(payload))).toBe(true);
      expect(srv.events).toEqual(["made", "data", "lost"]);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("connection refused is ConnectionRefusedError; a taken port is AddressInUseError", async () => {
    await run(function* () {
      const [server, port] = yield* recordingServer();
      let err: unknown;
      try {
        yield* createServer(() => new Protocol(), HOST, port);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AddressInUseError);
      expect((err as AddressInUseError).code).toBe("EADDRINUSE");
      expect((err as Error).message).toContain(`${HOST}:${port}`);
      server.close();
      yield* server.waitClosed();
      err = undefined;
      try {
        yield* createConnection(() => new Protocol(), HOST, port);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectionRefusedError);
    });
  });

  it("a server closed with clients connected: no new connections, old ones go on", async () => {
    await run(function* () {
      const [server, port, made] = yield* recordingServer();
      const [t, client] = yield* createConnection(() => new Recorder(), HOST, port);
      yield* until(() => made.length === 1, "accept");
      expect(server.isServing()).toBe(true);
      server.close();
      expect(server.isServing()).toBe(false);
      expect(server.sockets).toEqual([]);
      let refused: unknown;
      try {
        yield* createConnection(() => new Protocol(), HOST, port);
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(ConnectionRefusedError);
      const closed = getSocketLoop("t").createTask(server.waitClosed());
      yield* sleep(5);
      expect(closed.done()).toBe(false); // a client is still connected
      made[0]!.transport.write("still here");
      yield* until(() => client.size === 10, "old connection works");
      server.closeClients();
      yield* closed;
      expect(yield* client.lost).toBeNull();
      expect(t.isClosing()).toBe(true);
    });
  });

  it("serveForever runs until cancelled, then the server is closed", async () => {
    await run(function* () {
      const loop = getSocketLoop("t");
      const server = yield* createServer(() => new Echo(), HOST, 0, { startServing: false });
      expect(server.isServing()).toBe(false);
      const task = loop.createTask(server.serveForever());
      yield* sleep(0);
      expect(server.isServing()).toBe(true);
      const port = portOf(server);
      const [t, client] = yield* createConnection(() => new Recorder(), HOST, port);
      t.write("ping");
      yield* until(() => client.size === 4, "echo");
      t.close();
      yield* client.lost;
      task.cancel();
      try {
        yield* task;
      } catch {
        // cancelled
      }
      expect(task.cancelled()).toBe(true);
      expect(server.isServing()).toBe(false);
    });
  });

  it("a failing protocol factory goes to the exception handler and the socket is closed", async () => {
    await run(function* () {
      const loop = getSocketLoop("t");
      const seen: string[] = [];
      loop.setExceptionHandler((_l, ctx) => seen.push(ctx.message));
      const server = yield* createServer(
        () => {
          throw new Error("no protocol for you");
        },
        HOST,
        0,
      );
      const port = portOf(server);
      const [, client] = yield* createConnection(() => new Recorder(), HOST, port);
      yield* client.lost;
      expect(seen).toEqual(["the protocol factory of a server failed"]);
      server.close();
      yield* server.waitClosed();
    });
  });

  it("a BufferedProtocol receives into its own buffers", async () => {
    await run(function* () {
      const server = yield* createServer(() => new Echo(), HOST, 0);
      const port = portOf(server);
      const store = new Uint8Array(100_000);
      let filled = 0;
      const lost = getSocketLoop("t").createFuture<void>();
      const [t] = yield* createConnection(
        () =>
          ({
            getBuffer: () => store.subarray(filled, Math.min(filled + 1000, store.length)),
            bufferUpdated: (n: number) => {
              filled += n;
            },
            connectionLost: () => lost.setResult(undefined),
          }) as unknown as Protocol,
        HOST,
        port,
      );
      const payload = pattern(100_000, 7);
      t.write(payload);
      yield* until(() => filled === payload.length, "buffered echo");
      expect(Buffer.from(store).equals(Buffer.from(payload))).toBe(true);
      t.close();
      yield* lost;
      server.close();
      yield* server.waitClosed();
    });
  });

  it("closing the loop closes servers and transports it still holds", async () => {
    let t: Transport | null = null;
    let server: Server | null = null;
    await run(function* () {
      server = yield* createServer(() => new Echo(), HOST, 0);
      const port = portOf(server);
      [t] = yield* createConnection(() => new Recorder(), HOST, port);
    });
    const sock = (t as unknown as Transport).getExtraInfo("socket");
    expect(loopCase.socketClosed(sock)).toBe(true);
    expect((server as unknown as Server).isServing()).toBe(false);
  });
});
