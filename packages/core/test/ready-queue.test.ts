import { describe, expect, it } from "vitest";
import type { Runnable } from "../src/host.js";
import { ReadyQueue } from "../src/ready-queue.js";
import { rng } from "./support/rng.js";

const entry = (id: number): Runnable => ({ _run() {}, id }) as unknown as Runnable;

describe("the ready queue", () => {
  it("is first in, first out across chunk boundaries, in bursts and trickles", () => {
    const rnd = rng(7);
    const q = new ReadyQueue();
    const model: Runnable[] = [];
    let head = 0;
    let id = 0;
    for (let op = 0; op < 3000; op++) {
      const burst = rnd() < 0.1 ? Math.floor(rnd() * 2500) : 1;
      if (rnd() < 0.55) {
        for (let k = 0; k < burst; k++) {
          const r = entry(id++);
          q.push(r);
          model.push(r);
        }
      } else {
        for (let k = 0; k < burst && head < model.length; k++)
          expect(q.shift()).toBe(model[head++]);
      }
      expect(q.length).toBe(model.length - head);
      if (op % 500 === 0) expect([...q]).toEqual(model.slice(head));
    }
  });

  it("holds no entry once shifted, and clear() empties it", () => {
    const q = new ReadyQueue();
    for (let i = 0; i < 2500; i++) q.push(entry(i));
    for (let i = 0; i < 2000; i++) q.shift();
    expect([...q].length).toBe(500);
    q.clear();
    expect(q.length).toBe(0);
    expect([...q]).toEqual([]);
    q.push(entry(1));
    expect(q.length).toBe(1);
  });
});
