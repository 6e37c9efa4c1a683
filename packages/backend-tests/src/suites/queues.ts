/**
 * Queue, LifoQueue and PriorityQueue (fact 19): FIFO service, cancelled getters and putters
 * that lose nothing, taskDone/join, shutdown, iteration.
 */
import { describe, expect, it } from "vitest";
import {
  BREAK,
  CancelledError,
  type Coro,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  type Task,
  TaskDoneError,
  InvalidArgumentError,
  createTask,
  forEach,
  getRunningLoop,
  sleep,
  toArray,
} from "@aioloop/core";
import { type LoopUnderTest, runOn } from "../loop-under-test.js";
import { tick } from "../support.js";

/** How a task ended: "ok:<value>", an error's name, or "cancelled". */
function* outcome(t: Task<unknown>): Coro<string> {
  try {
    return `ok:${String(yield* t)}`;
  } catch (e) {
    return e instanceof CancelledError ? "cancelled" : (e as Error).name;
  }
}

export function queueTests(l: LoopUnderTest): void {
  describe(`Queue on ${l.name}`, () => {
    it("is FIFO; qsize/empty/full follow the items; nowait variants throw named errors", async () => {
      await runOn(l, function* () {
        const q = new Queue<number>(2);
        expect(q.empty()).toBe(true);
        expect(() => q.getNowait()).toThrow(QueueEmpty);
        q.putNowait(1);
        yield* q.put(2);
        expect(q.full()).toBe(true);
        expect(q.qsize()).toBe(2);
        expect(() => q.putNowait(3)).toThrow(QueueFull);
        expect(() => q.putNowait(3)).toThrow(/full queue \(maxsize 2\).*put\(item\)/);
        expect(q.getNowait()).toBe(1);
        expect(yield* q.get()).toBe(2);
        expect(q.empty()).toBe(true);
        const unbounded = new Queue<number>();
        for (let i = 0; i < 1000; i++) unbounded.putNowait(i);
        expect(unbounded.full()).toBe(false);
        let ok = true;
        for (let i = 0; i < 1000; i++) ok &&= unbounded.getNowait() === i;
        expect(ok).toBe(true);
      });
    });

    it("get() waits for put(); put() waits for room", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<string>(1);
        const log: string[] = [];
        const consumer = createTask(
          (function* () {
            for (let i = 0; i < 3; i++) {
              yield* sleep(10);
              log.push(`got ${yield* q.get()}`);
            }
          })(),
        );
        for (const x of ["a", "b", "c"]) {
          yield* q.put(x);
          log.push(`put ${x}`);
        }
        yield* consumer;
        return log;
      });
      expect(out).toEqual(["put a", "got a", "put b", "got b", "put c", "got c"]);
    });

    it("blocked getters are served FIFO", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        const got: string[] = [];
        const ts = ["a", "b", "c"].map((name) =>
          createTask(
            (function* () {
              got.push(`${name}${yield* q.get()}`);
            })(),
          ),
        );
        yield* tick();
        q.putNowait(1);
        q.putNowait(2);
        q.putNowait(3);
        for (const t of ts) yield* t;
        return got;
      });
      expect(out).toEqual(["a1", "b2", "c3"]);
    });

    it("fact 19: a getter woken and then cancelled loses no item", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<string>();
        const a = createTask(q.get());
        const b = createTask(q.get());
        yield* tick();
        q.putNowait("x"); // wakes a...
        a.cancel(); // ...which is cancelled before it runs: b must get "x"
        const ra = yield* outcome(a);
        const rb = yield* outcome(b);
        // A lone getter woken and cancelled: the item stays in the queue.
        const c = createTask(q.get());
        yield* tick();
        q.putNowait("y");
        c.cancel();
        const rc = yield* outcome(c);
        return { ra, rb, rc, left: q.qsize(), stats: q.statistics() };
      });
      expect(out.ra).toBe("cancelled");
      expect(out.rb).toBe("ok:x");
      expect(out.rc).toBe("cancelled");
      expect(out.left).toBe(1);
      expect(out.stats).toMatchObject({ getters: 0, puts: 2, gets: 1 });
    });

    it("a putter woken and then cancelled passes the free slot to the next putter", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<string>(1);
        q.putNowait("first");
        const a = createTask(q.put("a"));
        const b = createTask(q.put("b"));
        yield* tick();
        q.getNowait(); // wakes a...
        a.cancel(); // ...which gives up: b puts
        const ra = yield* outcome(a);
        const rb = yield* outcome(b);
        return { ra, rb, items: [q.getNowait()], empty: q.empty() };
      });
      expect(out).toEqual({ ra: "cancelled", rb: "ok:undefined", items: ["b"], empty: true });
    });

    it("thousands of cancelled getters leave no trace", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        const ts: Task<number>[] = [];
        for (let i = 0; i < 3000; i++) ts.push(createTask(q.get()));
        yield* tick();
        for (const t of ts) t.cancel();
        yield* tick();
        const getters = q.statistics().getters;
        const last = createTask(q.get());
        yield* tick();
        q.putNowait(7);
        return { getters, last: yield* last, left: q.qsize() };
      });
      expect(out).toEqual({ getters: 0, last: 7, left: 0 });
    });

    it("fact 19: taskDone() called too often throws TaskDoneError; join() waits for every taskDone()", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        let err: unknown = null;
        try {
          q.taskDone();
        } catch (e) {
          err = e;
        }
        const loop = getRunningLoop();
        const before = loop.statistics().iterations;
        yield* q.join(); // nothing unfinished: returns at once
        const joinAtOnce = loop.statistics().iterations === before;
        q.putNowait(1);
        q.putNowait(2);
        const log: string[] = [];
        const joiner = createTask(
          (function* () {
            yield* q.join();
            log.push("joined");
          })(),
        );
        yield* sleep(5);
        q.getNowait();
        q.taskDone();
        yield* sleep(5);
        log.push("one done");
        q.getNowait();
        q.taskDone();
        yield* joiner;
        let err2: unknown = null;
        try {
          q.taskDone();
        } catch (e) {
          err2 = e;
        }
        return {
          err: err instanceof TaskDoneError,
          err2: err2 instanceof TaskDoneError,
          joinAtOnce,
          log,
        };
      });
      expect(out).toEqual({ err: true, err2: true, joinAtOnce: true, log: ["one done", "joined"] });
    });

    it("fact 19: shutdown() wakes every blocked getter and putter with QueueShutDown", async () => {
      const out = await runOn(l, function* () {
        const empty = new Queue<number>();
        const getters = [createTask(empty.get()), createTask(empty.get())];
        const full = new Queue<number>(1);
        full.putNowait(0);
        const putters = [createTask(full.put(1)), createTask(full.put(2))];
        yield* tick();
        empty.shutdown();
        full.shutdown();
        const r: string[] = [];
        for (const t of [...getters, ...putters]) r.push(yield* outcome(t));
        return { r, shut: empty.isShutdown() };
      });
      expect(out).toEqual({
        r: ["QueueShutDown", "QueueShutDown", "QueueShutDown", "QueueShutDown"],
        shut: true,
      });
    });

    it("after shutdown(), put throws at once and get drains what is left, then throws", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        q.putNowait(1);
        q.putNowait(2);
        q.shutdown();
        const errs: string[] = [];
        try {
          q.putNowait(3);
        } catch (e) {
          errs.push((e as Error).name);
        }
        try {
          yield* q.put(3);
        } catch (e) {
          errs.push((e as Error).name);
        }
        const got = [yield* q.get(), q.getNowait()];
        try {
          yield* q.get();
        } catch (e) {
          errs.push((e as Error).name);
        }
        try {
          q.getNowait();
        } catch (e) {
          errs.push(`${(e as Error).name}: ${(e as Error).message}`);
        }
        return { errs, got, unfinished: q.statistics().unfinishedTasks };
      });
      expect(out.got).toEqual([1, 2]);
      expect(out.errs.slice(0, 3)).toEqual(["QueueShutDown", "QueueShutDown", "QueueShutDown"]);
      expect(out.errs[3]).toMatch(/^QueueShutDown: getNowait\(\) on a queue that is shut down/);
      expect(out.unfinished).toBe(2);
    });

    it("shutdown(true) drains the queue, counts drained items done and releases join()", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        for (let i = 0; i < 5; i++) q.putNowait(i);
        q.getNowait(); // taken, not yet done
        const joiner = createTask(q.join());
        const getter = createTask(
          (function* () {
            yield* sleep(100);
            return yield* q.get();
          })(),
        );
        yield* tick();
        q.shutdown(true);
        const afterDrain = { size: q.qsize(), unfinished: q.statistics().unfinishedTasks };
        yield* tick(2);
        const joinedBeforeTaskDone = joiner.done();
        q.taskDone(); // the item taken before the shutdown
        yield* joiner;
        return { afterDrain, joinedBeforeTaskDone, getter: yield* outcome(getter) };
      });
      expect(out).toEqual({
        afterDrain: { size: 0, unfinished: 1 },
        joinedBeforeTaskDone: false,
        getter: "QueueShutDown",
      });
    });

    it("aiter() yields items until the queue is shut down and empty", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>(2);
        const producer = createTask(
          (function* () {
            for (let i = 0; i < 5; i++) yield* q.put(i);
            q.shutdown();
          })(),
        );
        const got = yield* toArray(q);
        yield* producer;
        // An iterator on a shut-down, empty queue is done at once.
        const r = yield* q.aiter().next();
        return { got, r };
      });
      expect(out).toEqual({ got: [0, 1, 2, 3, 4], r: { done: true, value: undefined } });
    });

    it("forEach over a queue stops on BREAK and leaves the rest queued", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>();
        for (let i = 0; i < 5; i++) q.putNowait(i);
        const seen: number[] = [];
        yield* forEach(q, (x) => {
          seen.push(x);
          q.taskDone();
          if (x === 2) return BREAK;
        });
        return { seen, left: q.qsize(), unfinished: q.statistics().unfinishedTasks };
      });
      expect(out).toEqual({ seen: [0, 1, 2], left: 2, unfinished: 2 });
    });

    it("statistics() and toString() describe the queue", async () => {
      const out = await runOn(l, function* () {
        const q = new Queue<number>(3);
        q.putNowait(1);
        const g = createTask(
          (function* () {
            const empty = new Queue<number>();
            return yield* empty.get();
          })(),
        );
        yield* tick();
        g.cancel();
        yield* outcome(g);
        return { stats: q.statistics(), str: String(q) };
      });
      expect(out.stats).toEqual({
        size: 1,
        maxsize: 3,
        unfinishedTasks: 1,
        getters: 0,
        putters: 0,
        isShutdown: false,
        puts: 1,
        gets: 0,
      });
      expect(out.str).toBe("<Queue maxsize=3 size=1 tasks=1>");
    });
  });

  describe(`LifoQueue on ${l.name}`, () => {
    it("hands out the newest item first and blocks like Queue", async () => {
      const out = await runOn(l, function* () {
        const q = new LifoQueue<number>(3);
        for (const x of [1, 2, 3]) yield* q.put(x);
        const blocked = createTask(q.put(4));
        yield* tick();
        const wasBlocked = !blocked.done();
        const first = yield* q.get(); // 3, and wakes the putter
        yield* blocked;
        const rest = [q.getNowait(), q.getNowait(), q.getNowait()];
        return { wasBlocked, first, rest };
      });
      expect(out).toEqual({ wasBlocked: true, first: 3, rest: [4, 2, 1] });
    });
  });

  describe(`PriorityQueue on ${l.name}`, () => {
    it("hands out the smallest item first, comparing [priority, name] pairs like tuples", async () => {
      const out = await runOn(l, function* () {
        const q = new PriorityQueue<[number, string]>();
        const items: [number, string][] = [
          [3, "c"],
          [1, "a1"],
          [2, "b1"],
          [1, "a2"],
          [2, "b2"],
          [1, "a3"],
        ];
        for (const it of items) yield* q.put(it);
        const got: string[] = [];
        while (!q.empty()) got.push((yield* q.get())[1]);
        return got;
      });
      // Arrays compare element by element, as Python's tuples.
      expect(out).toEqual(["a1", "a2", "a3", "b1", "b2", "c"]);
    });

    it("is stable for equal priorities under a custom comparator", async () => {
      const out = await runOn(l, function* () {
        const q = new PriorityQueue<{ p: number; id: number }>({ compare: (a, b) => a.p - b.p });
        let seed = 7;
        const ids: { p: number; id: number }[] = [];
        for (let id = 0; id < 500; id++) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          ids.push({ p: seed % 5, id });
        }
        for (const x of ids) q.putNowait(x);
        const got: { p: number; id: number }[] = [];
        while (!q.empty()) got.push(q.getNowait());
        const expected = [...ids].sort((a, b) => a.p - b.p || a.id - b.id);
        return got.every((x, i) => x === expected[i]);
      });
      expect(out).toBe(true);
    });

    it("default order: numbers, bigints and strings; arrays element by element; payloads never break ties", async () => {
      const out = await runOn(l, function* () {
        const nums = new PriorityQueue<number | bigint>();
        for (const x of [5, 2n, -1, 3.5, 10n]) nums.putNowait(x);
        const n: (number | bigint)[] = [];
        while (!nums.empty()) n.push(nums.getNowait());
        const strs = new PriorityQueue<string>(3);
        for (const x of ["pear", "apple", "fig"]) strs.putNowait(x);
        const s = [strs.getNowait(), strs.getNowait(), strs.getNowait()];
        const jobs = new PriorityQueue<[number, { name: string }]>();
        jobs.putNowait([2, { name: "x" }]);
        jobs.putNowait([1, { name: "y" }]);
        jobs.putNowait([2, { name: "z" }]);
        jobs.putNowait([1, { name: "w" }]);
        const j: string[] = [];
        while (!jobs.empty()) j.push(jobs.getNowait()[1].name);
        return { n, s, j };
      });
      expect(out).toEqual({
        n: [-1, 2n, 3.5, 5, 10n],
        s: ["apple", "fig", "pear"],
        j: ["y", "w", "x", "z"],
      });
    });

    it("refuses items the default order cannot place, and keeps the queue intact", async () => {
      await runOn(l, function* () {
        const q = new PriorityQueue<unknown>();
        q.putNowait(1);
        expect(() => q.putNowait({ a: 1 })).toThrow(InvalidArgumentError);
        expect(() => q.putNowait(Number.NaN)).toThrow(/pass new PriorityQueue\(\{ compare/);
        expect(() => q.putNowait(null)).toThrow(InvalidArgumentError);
        expect(q.qsize()).toBe(1);
        expect(q.statistics().unfinishedTasks).toBe(1);
        yield* tick();
      });
    });

    it("a comparator that throws loses no item", async () => {
      await runOn(l, function* () {
        let explode = false;
        const q = new PriorityQueue<number>({
          compare: (a, b) => {
            if (explode) throw new Error("bad compare");
            return a - b;
          },
        });
        for (const x of [4, 1, 3, 2]) q.putNowait(x);
        explode = true;
        expect(() => q.putNowait(0)).toThrow("bad compare");
        expect(() => q.getNowait()).toThrow("bad compare");
        expect(q.qsize()).toBe(4);
        explode = false;
        const got: number[] = [];
        while (!q.empty()) got.push(q.getNowait());
        expect(got.sort()).toEqual([1, 2, 3, 4]);
        yield* tick();
      });
    });

    it("blocks when full and shuts down like Queue", async () => {
      const out = await runOn(l, function* () {
        const q = new PriorityQueue<number>(2);
        q.putNowait(5);
        q.putNowait(1);
        const putter = createTask(q.put(0));
        yield* tick();
        const blocked = !putter.done();
        const first = yield* q.get();
        yield* putter;
        q.shutdown(true);
        return { blocked, first, size: q.qsize(), r: yield* outcome(createTask(q.get())) };
      });
      expect(out).toEqual({ blocked: true, first: 1, size: 0, r: "QueueShutDown" });
    });
  });
}
