/**
 * EpollBackend: the real clock plus an epoll set, as the backend of EpollLoop.
 *
 * HOW: every watched file descriptor has one registration (`FdRegistration`: asyncio's pair of
 * reader and writer callbacks); its interest mask in the kernel's epoll set is EPOLLIN exactly
 * while a reader is set and EPOLLOUT exactly while a writer is set (level-triggered). One
 * iteration of the loop:
 *
 *   select(timeout): epoll_wait(epfd, timeout) ─► (fd, events) pairs in a preallocated
 *                    Int32Array ─► host.schedule(reader / writer) behind what is ready
 *
 *   runSync:       select blocks in epoll_wait for the loop's timeout (µs precision where the
 *                  kernel has epoll_pwait2); other threads reach it through the eventfd in the
 *                  set (wake-bridge.ts)
 *   host runs:     park() arms a host timer (HostAlarm) for the deadline and a uv_poll on the
 *                  epoll fd in Node's own loop; the poll firing resumes the loop at once (from
 *                  Node's poll phase), which collects with select(0). Node's I/O and Promises
 *                  run meanwhile.
 *
 * Outside source: while any fd is registered or any transport or server is open, the backend
 * holds one source of kind "thread" on the loop: unlike Node's sockets, epoll delivers to a
 * blocked runSync too, and "thread" is the seam's kind for "runSync may wait for it".
 *
 * Costs: register/modify/unregister one epoll_ctl; an iteration with nothing registered makes
 * no system call; epoll_wait writes into one typed array (no allocation per wait).
 */

import type { Backend, LoopHost, OutsideSource, Runnable } from "@aioloop/core";
import { WAKE_IDLE, WAKE_INDEX, WAKE_SET } from "@aioloop/core";
import { HostAlarm, RealClock } from "@aioloop/timer-loop";
import type { Closeable } from "@aioloop/transports";
import {
  EPOLLERR,
  EPOLLHUP,
  EPOLLIN,
  EPOLLOUT,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  type EpollAddon,
  errnoError,
  loadAddon,
} from "./native.js";
import { WakeBridge } from "./wake-bridge.js";

/**
 * Events one epoll_wait collects at most: the rest stay ready (level-triggered) and come in the
 * next iteration, so one iteration stays short and timers and Node get their turns.
 */
export const MAX_EVENTS_PER_WAIT = 128;

/** Bytes one recv reads at most (asyncio's `max_size`: 256 KiB). */
export const RECV_SIZE = 256 * 1024;

/**
 * The slab transports receive into: reads land in it back to back and are handed out as views
 * (no copy, as Node's own socket reads do with its 64 KiB pool); a new slab is allocated once
 * less than RECV_SIZE is left. A view keeps its slab alive, so a protocol that holds on to one
 * small read holds a slab: the price of reading without a copy.
 */
export const RECV_SLAB_SIZE = 4 * RECV_SIZE;

/** What the loop keeps per watched fd: asyncio's `(reader_handle, writer_handle)`. */
export interface FdRegistration {
  /** The file descriptor watched. */
  readonly fd: number;
  /** Queued when the fd is readable (or hung up / in error); null when not watched. */
  reader: Runnable | null;
  /** Queued when the fd is writable (or hung up / in error); null when not watched. */
  writer: Runnable | null;
  /** Invariant: the mask the kernel has for this fd (0: not in the epoll set). */
  mask: number;
}

const READ_EVENTS = EPOLLIN | EPOLLERR | EPOLLHUP;
const WRITE_EVENTS = EPOLLOUT | EPOLLERR | EPOLLHUP;

/**
 * The backend of EpollLoop: real clock, epoll readiness, an eventfd for other threads, and the
 * transports and servers to close with the loop.
 */
export class EpollBackend implements Backend {
  /** The clock it runs on: always the real one (TimerLoop's backend option asks). */
  readonly kind = "real" as const;
  readonly #clock = new RealClock();
  readonly resolution = this.#clock.resolution;
  /** epoll_wait blocks the thread: runSync works. */
  readonly canBlock = true;
  /** The addon (this backend is only made where it loaded). */
  readonly native: EpollAddon;
  /** The epoll fd (-1 once closed). */
  epfd: number;
  /** The eventfd in the epoll set that other threads ring (-1 once closed). */
  readonly #efd: number;
  readonly #events = new Int32Array(2 * MAX_EVENTS_PER_WAIT);
  /** The buffer the sock* calls read into first (one per loop). */
  readonly scratch: Buffer = Buffer.allocUnsafe(RECV_SIZE);
  /** The current receive slab of the transports (see RECV_SLAB_SIZE). */
  slab: Uint8Array = Buffer.allocUnsafeSlow(RECV_SLAB_SIZE);
  /** The slab's first free byte: the next read lands there. */
  slabUsed = 0;
  /** Registrations by fd (a sparse array: fds are small integers). */
  readonly #regs: (FdRegistration | undefined)[] = [];
  /** Invariant: how many registrations have a non-zero mask. */
  #watched = 0;
  /**
   * Host-driven waiting: the pending park's resume, and one host timer for its deadline
   * (timer-loop's HostAlarm). The epoll fd's poll resumes the loop directly from Node's poll
   * phase (no extra host turn: the addon calls back through node's MakeCallback, so Promises
   * settled by the loop's turn run right after it, as after any Node I/O callback).
   */
  readonly #alarm = new HostAlarm();
  #resume: (() => void) | null = null;
  #parks = 0;
  readonly #fire = (): void => {
    const r = this.#resume;
    this.#resume = null;
    if (r !== null) r();
  };
  #polling = false;
  readonly #onPoll = (): void => {
    if (this.#resume === null) return;
    this.#ioWakeups++;
    this.#alarm.disarm();
    this.#fire();
  };
  readonly #resources = new Set<Closeable>();
  readonly #source: OutsideSource = { kind: "thread", name: "epoll sockets and servers" };
  /** Invariant: non-null exactly while the source is registered. */
  #releaseSource: (() => void) | null = null;
  #host: LoopHost | null = null;
  #bridge: WakeBridge | null = null;
  #wakePending = false;
  /** Invariant: true once close() began (no source is registered again). */
  #closed = false;
  #waits = 0;
  #wakeups = 0;
  #ioWakeups = 0;
  #ioCallbacks = 0;

  constructor() {
    this.native = loadAddon();
    const a = this.native;
    const epfd = a.epollCreate();
    if (epfd < 0) throw errnoError(epfd, "epoll_create1");
    const efd = a.eventfdCreate();
    if (efd < 0) {
      a.close(epfd);
      throw errnoError(efd, "eventfd");
    }
    this.epfd = epfd;
    this.#efd = efd;
    a.setEventBuffer(this.#events);
    a.epollCtl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN);
  }

  attach(host: LoopHost): void {
    this.#host = host;
  }

  time(): number {
    return this.#clock.time();
  }

  // ── registrations ───────────────────────────────────────────────────────────────────────

  /** The registration of `fd`, or undefined. */
  registration(fd: number): FdRegistration | undefined {
    return this.#regs[fd];
  }

  /** Make `r` the reader (null: none) of `fd`; returns the one it replaced. */
  setReader(fd: number, r: Runnable | null): Runnable | null {
    const reg = this.#reg(fd);
    const old = reg.reader;
    reg.reader = r;
    this.#update(reg);
    return old;
  }

  /** Make `w` the writer (null: none) of `fd`; returns the one it replaced. */
  setWriter(fd: number, w: Runnable | null): Runnable | null {
    const reg = this.#reg(fd);
    const old = reg.writer;
    reg.writer = w;
    this.#update(reg);
    return old;
  }

  /** Forget `fd` entirely (before it is closed): no callback of it runs again. */
  forget(fd: number): void {
    const reg = this.#regs[fd];
    if (reg === undefined) return;
    reg.reader = null;
    reg.writer = null;
    this.#update(reg);
    this.#regs[fd] = undefined;
  }

  #reg(fd: number): FdRegistration {
    let reg = this.#regs[fd];
    if (reg === undefined) {
      reg = { fd, reader: null, writer: null, mask: 0 };
      this.#regs[fd] = reg;
    }
    return reg;
  }

  #update(reg: FdRegistration): void {
    const mask = (reg.reader !== null ? EPOLLIN : 0) | (reg.writer !== null ? EPOLLOUT : 0);
    if (mask === reg.mask || this.epfd < 0) return;
    const op = reg.mask === 0 ? EPOLL_CTL_ADD : mask === 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    const rc = this.native.epollCtl(this.epfd, op, reg.fd, mask);
    if (rc < 0 && op !== EPOLL_CTL_DEL) throw errnoError(rc, "epoll_ctl");
    if (reg.mask === 0) this.#watched++;
    else if (mask === 0) this.#watched--;
    reg.mask = mask;
    this.#syncSource();
  }

  // ── waiting ─────────────────────────────────────────────────────────────────────────────

  /**
   * Collect what epoll reports, waiting up to `timeoutMs` (only runSync passes more than 0),
   * and queue each ready fd's reader and/or writer behind what is ready.
   */
  select(timeoutMs: number): void {
    let timeout = timeoutMs;
    const word = this.#host?.wakeWord ?? null;
    if (this.#wakePending) {
      this.#wakePending = false;
      timeout = 0;
    }
    if (timeout !== 0) {
      if (word !== null && Atomics.load(word, WAKE_INDEX) === WAKE_SET) timeout = 0;
      else if (word !== null && this.#bridge === null && this.#othersMayWake()) {
        this.#bridge = new WakeBridge(word, this.#efd, loadAddonPath());
      }
      this.#waits++;
    }
    const n = this.native.epollWait(
      this.epfd,
      MAX_EVENTS_PER_WAIT,
      timeout === Number.POSITIVE_INFINITY ? -1 : timeout,
    );
    if (word !== null && Atomics.load(word, WAKE_INDEX) !== WAKE_IDLE) {
      Atomics.store(word, WAKE_INDEX, WAKE_IDLE);
      this.#bridge?.rearm();
    }
    if (n <= 0) return;
    const ev = this.#events;
    const host = this.#host!;
    const regs = this.#regs;
    for (let i = 0; i < n; i++) {
      const fd = ev[2 * i]!;
      const events = ev[2 * i + 1]!;
      if (fd === this.#efd) {
        this.native.eventfdRead(fd);
        continue;
      }
      const reg = regs[fd];
      if (reg === undefined) continue;
      if ((events & READ_EVENTS) !== 0 && reg.reader !== null) {
        host.schedule(reg.reader);
        this.#ioCallbacks++;
      }
      if ((events & WRITE_EVENTS) !== 0 && reg.writer !== null) {
        host.schedule(reg.writer);
        this.#ioCallbacks++;
      }
    }
  }

  /**
   * Whether a blocking wait may be ended by another thread: an outside source other than this
   * backend's own is registered (a worker job of @aioloop/files, say).
   */
  #othersMayWake(): boolean {
    const host = this.#host;
    if (host === null) return false;
    const own = this.#releaseSource !== null ? 1 : 0;
    return host.sourceCount() > own;
  }

  park(timeoutMs: number, resume: () => void): void {
    if (this.#watched > 0 && !this.#polling) {
      this.#polling = true;
      this.native.pollStart(this.epfd, this.#onPoll);
    } else if (this.#watched === 0 && this.#polling) {
      this.#stopPolling();
    }
    this.#parks++;
    this.#resume = resume;
    this.#alarm.arm(timeoutMs, this.#fire);
  }

  unpark(): void {
    this.#resume = null;
    this.#alarm.disarm();
    if (this.#polling) this.#stopPolling();
  }

  #stopPolling(): void {
    this.#polling = false;
    this.native.pollStop();
  }

  wakeup(): void {
    this.#wakeups++;
    this.#wakePending = true;
    if (this.#resume !== null && !this.#alarm.armedSoon) this.#alarm.arm(0, this.#fire); // after this turn
  }

  // ── resources ───────────────────────────────────────────────────────────────────────────

  /** Release `r` when the loop closes (unless `untrack`ed first). */
  track(r: Closeable): void {
    this.#resources.add(r);
    this.#syncSource();
  }

  /** Forget `r` (it closed by itself). */
  untrack(r: Closeable): void {
    this.#resources.delete(r);
    this.#syncSource();
  }

  /** How many transports and servers are open. */
  get openResources(): number {
    return this.#resources.size;
  }

  /**
   * Called by `loop.close()`: drop the park and the poll, `forceClose()` every transport and
   * server still open (their fds are closed), stop the wake bridge, close the eventfd and the
   * epoll fd. File descriptors the user registered with addReader/addWriter stay open (they
   * are the user's, as in asyncio). Best effort: one failure does not stop the rest.
   */
  close(): void {
    this.#closed = true;
    this.#resume = null;
    this.#alarm.disarm();
    if (this.#polling) this.#stopPolling();
    this.#releaseSource = null; // the closing loop drops its sources itself
    const resources = [...this.#resources];
    this.#resources.clear();
    for (const r of resources) {
      try {
        r.forceClose();
      } catch {
        // Closing is best effort: one failure must not leave the rest open.
      }
    }
    this.#bridge?.close();
    this.#bridge = null;
    this.#regs.length = 0;
    this.#watched = 0;
    if (this.epfd >= 0) {
      this.native.close(this.#efd);
      this.native.close(this.epfd);
      this.epfd = -1;
    }
  }

  /**
   * `clock`, `waits` (blocking epoll_waits and parks), `wakeups`, `ioWakeups` (parks ended by
   * the epoll fd), `ioCallbacks` (reader/writer callbacks queued), `watched` (fds in the epoll
   * set), `openResources` (open transports and servers), `bridge` (the wake bridge runs).
   */
  statistics(): Record<string, number | string | boolean> {
    return {
      clock: this.kind,
      waits: this.#waits + this.#parks,
      wakeups: this.#wakeups,
      ioWakeups: this.#ioWakeups,
      ioCallbacks: this.#ioCallbacks,
      watched: this.#watched,
      openResources: this.#resources.size,
      bridge: this.#bridge !== null,
    };
  }

  /** Hold the loop's outside source exactly while something is watched or open. */
  #syncSource(): void {
    const busy = this.#watched > 0 || this.#resources.size > 0;
    if (busy === (this.#releaseSource !== null) || this.#host === null || this.#closed) return;
    if (busy) this.#releaseSource = this.#host.addSource(this.#source);
    else {
      const release = this.#releaseSource!;
      this.#releaseSource = null;
      release();
    }
  }
}

/** The addon's file, for the wake bridge's thread to load it too. */
function loadAddonPath(): string {
  return new URL("../build/Release/epoll.node", import.meta.url).pathname;
}
