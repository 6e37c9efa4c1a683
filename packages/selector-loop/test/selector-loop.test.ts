import net from "node:net";
import { type Coro, InvalidStateError, sleep } from "@aioloop/core";
import { describe, expect, it } from "vitest";
import { NotSelectorLoopError } from "@aioloop/transports";
import { run } from "../src/run.js";
import { SelectorLoop, getSelectorLoop } from "../src/selector-loop.js";
import { HOST, closeServer, listen, until } from "./support/net.js";

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
