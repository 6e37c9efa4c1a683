/**
 * Issue 2's speed targets, as ratios against native baselines in the same process (medians of
 * several runs). Run: `npx -y tsx@4.23.15 packages/timer-loop/bench/speed.ts`.
 * The full suite lives in packages/bench; this stays as a quick check while working on the core.
 */
import { type Coro, createTask, sleep } from "@aioloop/core";
import { TimerLoop } from "../src/index.js";

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function measure(fn: () => Promise<void> | void): Promise<number> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}

function report(name: string, ours: number, base: number, n: number, target: number): void {
  const ratio = ours / base;
  console.log(
    `${name.padEnd(34)} ours ${((ours * 1e6) / n).toFixed(1).padStart(7)} ns/op  native ${(
      (base * 1e6) /
      n
    )
      .toFixed(1)
      .padStart(
        7,
      )} ns/op  ratio ${ratio.toFixed(2)}  target <= ${target}  ${ratio <= target ? "ok" : "MISSED"}`,
  );
}

const N = 1_000_000;

async function main(): Promise<void> {
  // 1. task switch: sleep(0) vs await null
  const switchOurs = await measure(() => {
    const loop = new TimerLoop({ clock: "virtual" });
    loop.runSync(
      (function* (): Coro<void> {
        for (let i = 0; i < N; i++) yield* sleep(0);
      })(),
    );
    loop.close();
  });
  const switchNative = await measure(async () => {
    for (let i = 0; i < N; i++) await null;
  });
  report("task switch: sleep(0) / await null", switchOurs, switchNative, N, 1.0);

  const bareOurs = await measure(() => {
    const loop = new TimerLoop({ clock: "virtual" });
    loop.runSync(
      (function* (): Coro<void> {
        for (let i = 0; i < N; i++) yield;
      })(),
    );
    loop.close();
  });
  report("task switch: bare yield / await null", bareOurs, switchNative, N, 1.0);

  // 2. await of a done future vs await null
  const doneOurs = await measure(() => {
    const loop = new TimerLoop({ clock: "virtual" });
    const fut = loop.createFuture<number>();
    fut.setResult(1);
    loop.runSync(
      (function* (): Coro<number> {
        let s = 0;
        for (let i = 0; i < N; i++) s += yield* fut;
        return s;
      })(),
    );
    loop.close();
  });
  report("done-future await / await null", doneOurs, switchNative, N, 1.0);

  // 3. spawn + join: createTask + yield* vs async call + Promise.all (batches of 1000)
  const B = 1000;
  const R = 200;
  function* child(i: number): Coro<number> {
    return i;
  }
  const spawnOurs = await measure(() => {
    const loop = new TimerLoop({ clock: "virtual" });
    loop.runSync(
      (function* (): Coro<number> {
        let s = 0;
        for (let r = 0; r < R; r++) {
          const ts = new Array(B);
          for (let i = 0; i < B; i++) ts[i] = createTask(child(i));
          for (let i = 0; i < B; i++) s += yield* ts[i];
        }
        return s;
      })(),
    );
    loop.close();
  });
  async function achild(i: number): Promise<number> {
    return i;
  }
  const spawnNative = await measure(async () => {
    let s = 0;
    for (let r = 0; r < R; r++) {
      const ps = new Array(B);
      for (let i = 0; i < B; i++) ps[i] = achild(i);
      const vs = await Promise.all(ps);
      for (const v of vs) s += v;
    }
    return void s;
  });
  report("spawn+join / async+Promise.all", spawnOurs, spawnNative, B * R, 2.0);

  // 4. 200k timers: schedule + fire (real clock, delays 0-2 ms) vs setTimeout
  const T = 200_000;
  const delays = Array.from({ length: T }, (_, i) => (i * 7919) % 3);
  const timersOurs = await measure(async () => {
    const loop = new TimerLoop();
    let fired = 0;
    const done = loop.createFuture<void>();
    for (let i = 0; i < T; i++)
      loop.callLater(delays[i]!, () => {
        if (++fired === T) done.setResult();
      });
    await loop.runUntilComplete(done);
    loop.close();
  });
  const timersNative = await measure(
    () =>
      new Promise<void>((resolve) => {
        let fired = 0;
        for (let i = 0; i < T; i++)
          setTimeout(() => {
            if (++fired === T) resolve();
          }, delays[i]);
      }),
  );
  report("200k timers / setTimeout", timersOurs, timersNative, T, 0.34);

  // 5. sub-millisecond sleeps in runSync
  const sub = await measure(() => {
    const loop = new TimerLoop();
    loop.runSync(
      (function* (): Coro<void> {
        for (let i = 0; i < 100; i++) yield* sleep(0.3);
      })(),
    );
    loop.close();
  });
  console.log(
    `runSync sleep(0.3) x100: ${(sub / 100).toFixed(3)} ms per sleep (Node's setTimeout floor: 1 ms)`,
  );
}

await main();
