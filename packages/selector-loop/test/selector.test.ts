import net from "node:net";
import { describe, expect, it } from "vitest";
import { BlockingIOError, SelectorKeyError } from "@aioloop/transports";
import { EVENT_READ, EVENT_WRITE, NodeSocketSelector, acceptNowait } from "../src/selector.js";

/** A connected pair over loopback: [client, server-side socket] (server side paused). */
async function pair(): Promise<[net.Socket, net.Socket, net.Server]> {
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await new Promise<void>((r) => client.once("connect", () => r()));
  return [client, await accepted, server];
}

async function cleanup(...objs: (net.Socket | net.Server)[]): Promise<void> {
  for (const o of objs) {
    if (o instanceof net.Server) await new Promise<void>((r) => o.close(() => r()));
    else o.destroy();
  }
}

describe("NodeSocketSelector", () => {
  it("reports readable only once data arrived, without reading it", async () => {
    const [client, conn, server] = await pair();
    const sel = new NodeSocketSelector<string>();
    sel.register(conn, EVENT_READ, "conn");
    expect(await sel.select(0)).toEqual([]);
    client.write("hello");
    const ready = await sel.select(5000);
    expect(ready.length).toBe(1);
    expect(ready[0]![0].data).toBe("conn");
    expect(ready[0]![1]).toBe(EVENT_READ);
    // Level-triggered: still ready while nobody reads, and the bytes are all still there.
    expect((await sel.select(0)).length).toBe(1);
    expect(conn.read()?.toString()).toBe("hello");
    expect(await sel.select(0)).toEqual([]);
    sel.close();
    await cleanup(client, conn, server);
  });

  it("times out with an empty list when nothing becomes ready", async () => {
    const [client, conn, server] = await pair();
    const sel = new NodeSocketSelector();
    sel.register(conn, EVENT_READ);
    expect(await sel.select(20)).toEqual([]);
    sel.close();
    await cleanup(client, conn, server);
  });

  it("reports a connected socket writable, and EOF as readable", async () => {
    const [client, conn, server] = await pair();
    const sel = new NodeSocketSelector();
    sel.register(client, EVENT_WRITE);
    const [[, ev]] = (await sel.select(1000)) as [[unknown, number]];
    expect(ev).toBe(EVENT_WRITE);
    sel.unregister(client);
    sel.register(conn, EVENT_READ);
    client.end();
    const [[, ev2]] = (await sel.select(5000)) as [[unknown, number]];
    expect(ev2).toBe(EVENT_READ);
    expect(conn.read()).toBeNull(); // EOF: nothing to read
    sel.close();
    await cleanup(client, conn, server);
  });

  it("reports a server readable when a connection waits to be accepted", async () => {
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const sel = new NodeSocketSelector();
    sel.register(server, EVENT_READ);
    expect(await sel.select(0)).toEqual([]);
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    const ready = await sel.select(5000);
    expect(ready[0]![1]).toBe(EVENT_READ);
    sel.close();
    client.destroy();
    acceptNowait(server).destroy();
    expect(() => acceptNowait(server)).toThrow(BlockingIOError);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("keeps the bytes received before a reset readable, then reports the error", async () => {
    const [client, conn, server] = await pair();
    const sel = new NodeSocketSelector();
    sel.register(conn, EVENT_READ);
    client.write("last words");
    await sel.select(5000);
    client.resetAndDestroy();
    await new Promise<void>((r) => conn.once("close", () => r()));
    expect((await sel.select(0)).length).toBe(1);
    expect(conn.read()?.toString()).toBe("last words");
    sel.close();
    await cleanup(client, conn, server);
  });

  it("refuses double registration and unknown objects with named errors", async () => {
    const [client, conn, server] = await pair();
    const sel = new NodeSocketSelector();
    sel.register(conn, EVENT_READ);
    expect(() => sel.register(conn, EVENT_READ)).toThrow(SelectorKeyError);
    expect(() => sel.modify(client, EVENT_READ)).toThrow(SelectorKeyError);
    expect(() => sel.unregister(client)).toThrow(SelectorKeyError);
    expect(() => sel.register(client, 0)).toThrow(RangeError);
    sel.modify(conn, EVENT_WRITE, undefined);
    expect(sel.getKey(conn)?.events).toBe(EVENT_WRITE);
    expect(sel.unregister(conn).fileobj).toBe(conn);
    expect(sel.size).toBe(0);
    sel.close();
    expect(() => sel.register(conn, EVENT_READ)).toThrow(SelectorKeyError);
    await cleanup(client, conn, server);
  });

  it("pollEach(visit, max) visits at most max, and those it left come first next time", async () => {
    const pairs = [await pair(), await pair(), await pair()];
    const sel = new NodeSocketSelector<string>();
    for (const [i, [client, conn]] of pairs.entries()) {
      sel.register(conn, EVENT_READ, `c${i}`);
      client.write("x");
    }
    for (let i = 0; i < 1000 && pairs.some(([, conn]) => conn.readableLength === 0); i++) {
      await new Promise((r) => setTimeout(r, 5)); // until every socket's byte has arrived
    }
    const seen: string[] = [];
    const visit = (key: { data: string }) => {
      seen.push(key.data);
    };
    expect(sel.pollEach(visit, 2)).toBe(2);
    expect(sel.pollEach(visit, 2)).toBe(2); // the one left out first, then the oldest served
    expect(sel.pollEach(visit)).toBe(3); // level-triggered: all still ready
    expect(seen.slice(0, 2)).toEqual(["c0", "c1"]);
    expect(seen[2]).toBe("c2");
    expect(seen.slice(4).sort()).toEqual(["c0", "c1", "c2"]);
    sel.close();
    for (const [client, conn, server] of pairs) await cleanup(client, conn, server);
  });
});
