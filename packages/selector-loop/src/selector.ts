/**
 * NodeSocketSelector: Python's `selectors` over Node sockets and servers. Register interest in
 * readable/writable per `net.Socket` (or `net.Server` for accept), then ask which are ready.
 *
 * HOW: Node has no select(2) for JavaScript; it tells us about sockets through events. The
 * selector turns those events into level-triggered readiness, the way epoll's users see it:
 *
 *   Node event ('readable', 'drain', 'connect', 'connection', 'error', 'close')
 *        │  (only a hint: "this object may have changed")
 *        ▼
 *   hot list  ──poll()──►  for each hot key: readiness(obj) & key.events
 *        ▲                        │ ready?  ─► reported; stays hot (level-triggered: reported
 *        └────────────────────────┘           again next poll until the owner consumes it)
 *                                   not ready ─► leaves the hot list until the next event
 *
 * Readiness is read from the socket's own state, never from what the event said:
 *   readable: bytes in Node's buffer, or EOF received, or the socket errored/closed
 *   writable: connected and Node's write buffer below its high-water mark (or errored/closed)
 *   server readable: an accepted connection waits in the backlog, or the server closed
 *
 * Sockets are kept in paused mode (a 'readable' listener, no 'data' listener): Node reads from
 * the kernel only up to its high-water mark and nothing reaches user code until `socket.read()`
 * is called; `read()` returning null means "would block". Data stays in Node's buffer after
 * an error or close, so no received byte is lost to a reset.
 *
 * Costs: register/modify/unregister O(1); an event O(1) (a flag and an array push); poll
 * O(hot keys), not O(registered keys): a thousand idle connections cost nothing per poll.
 *
 * Errors: every object the selector sees gets a permanent 'error' listener that records the
 * first error (Node would otherwise crash the process on an unhandled socket error); `error()`
 * returns it, and the readiness it causes lets the owner's callback find it.
 */

import type { Server, Socket } from "node:net";
import { BlockingIOError, SelectorKeyError } from "@aioloop/transports";

/** Interest in (and readiness for) reading: data, EOF or an error is waiting. */
export const EVENT_READ = 1;
/** Interest in (and readiness for) writing: Node's write buffer has room. */
export const EVENT_WRITE = 2;
const ALL_EVENTS = EVENT_READ | EVENT_WRITE;

/** What a selector watches: a socket (read/write) or a listening server (read = accept). */
export type Selectable = Socket | Server;

/**
 * A registration: the object, the events of interest, and the owner's data (Python's
 * `selectors.SelectorKey`). `register` returns it; `select`/`poll` report it when ready.
 */
export class SelectorKey<D = unknown> {
  /** The registered socket or server (SelectorKey.fileobj). */
  readonly fileobj: Selectable;
  /** Invariant: a non-zero mask of EVENT_READ | EVENT_WRITE while registered. */
  events: number;
  /**
   * What the owner passed to `register` / `modify` (SelectorKey.data): SelectorLoop keeps the
   * registration's reader and writer callbacks here.
   */
  data: D;
  /** @internal */ readonly _watch: Watch;
  /** @internal Made by the selector's `register`. */
  constructor(fileobj: Selectable, events: number, data: D, watch: Watch) {
    this.fileobj = fileobj;
    this.events = events;
    this.data = data;
    this._watch = watch;
  }
}

/** A ready key and the events it is ready for (a subset of `key.events`). */
export type SelectorEvent<D> = [key: SelectorKey<D>, events: number];

/**
 * The paused-mode internals we read (no public getter exists): `ended` (EOF received, maybe
 * not consumed yet) and the chunk list (an array from `bufferIndex` in Node 20.x+, a linked
 * list with `head` before).
 */
interface ReadableStateView {
  ended?: boolean;
  buffer?: Uint8Array[] | { head?: { data: Uint8Array } | null };
  bufferIndex?: number;
}

/** No connections: the backlog of every socket's Watch (only servers accept). */
const NO_BACKLOG: Socket[] = [];

/**
 * @internal What the selector knows about one object, kept for the object's whole life (the
 * object holds it), registered or not.
 */
export class Watch {
  readonly obj: Selectable;
  readonly isServer: boolean;
  /** Invariant: the key while registered with `selector`, else null. */
  key: SelectorKey<any> | null = null;
  /** The first error Node reported for this object (raw Node error), or undefined. */
  error: unknown = undefined;
  /** Invariant: true once Node emitted 'close' for this object. */
  closed = false;
  /** Invariant: true iff this watch is in its selector's hot list. */
  hot = false;
  /** Invariant: true once the 'readable' listener is attached (the socket is in paused mode). */
  readableListening = false;
  /** Invariant: true once the 'drain' and 'connect' listeners are attached (write interest). */
  writableListening = false;
  /** Server only (empty and never filled for sockets): accepted connections not yet taken, oldest first. */
  readonly backlog: Socket[];
  /** The selector whose hot list this object's events feed. */
  selector: NodeSocketSelector<any> | null = null;
  /** Told when Node emits 'close' (the transport driving this socket), after `closed` is set. */
  closeHook: (() => void) | null = null;

  constructor(obj: Selectable, isServer: boolean) {
    this.obj = obj;
    this.isServer = isServer;
    this.backlog = isServer ? [] : NO_BACKLOG;
  }

  /** Something happened to the object: a candidate for its selector's next poll. */
  onEvent(): void {
    const s = this.selector;
    if (s !== null && this.key !== null) s._markHot(this);
  }
}

/**
 * Where an object's Watch is kept: on the object itself, under a symbol of ours. A WeakMap
 * would do, but every accepted socket would become an ephemeron the garbage collector has to
 * revisit; a property dies with its socket at no extra cost.
 */
const WATCH: unique symbol = Symbol("aioloop.watch");

interface Watched {
  [WATCH]?: Watch;
}

// The listeners every watched object gets: shared functions (Node calls them with the object
// as `this`), so watching a socket allocates no closures.

function onAnyEvent(this: Watched): void {
  this[WATCH]!.onEvent();
}

function onError(this: Watched, err: unknown): void {
  const w = this[WATCH]!;
  if (w.error === undefined) w.error = err;
  w.onEvent();
}

function onClose(this: Watched): void {
  const w = this[WATCH]!;
  w.closed = true;
  w.onEvent();
  w.closeHook?.();
}

function onConnection(this: Watched, sock: Socket): void {
  const w = this[WATCH]!;
  watchOf(sock); // record its errors from the start: nobody may read it for a while
  w.backlog.push(sock);
  w.onEvent();
}

function isServerObject(obj: Selectable): obj is Server {
  return (
    typeof (obj as Server).listen === "function" && typeof (obj as Socket).write !== "function"
  );
}

/**
 * Start watching `obj` now: record its errors and (servers) queue the connections it accepts,
 * so none is missed before the first `register`/`sockAccept`. Node accepts connections as they
 * arrive and emits each once: watch a server before it listens. Idempotent.
 * @example
 * const server = net.createServer({ pauseOnConnect: true });
 * watch(server);
 * server.listen(0);
 */
export function watch(obj: Selectable): void {
  watchOf(obj);
}

/** @internal The watch of `obj`, created (with its permanent listeners) on first contact. */
export function watchOf(obj: Selectable): Watch {
  if (typeof obj === "object" && obj !== null) {
    const w = (obj as Watched)[WATCH];
    if (w !== undefined) return w;
  }
  if (
    typeof obj !== "object" ||
    obj === null ||
    typeof (obj as { on?: unknown }).on !== "function"
  ) {
    throw new TypeError(
      `expected a net.Socket or net.Server, got ${obj === null ? "null" : typeof obj}: create one with net.connect()/new net.Socket() or net.createServer()`,
    );
  }
  const isServer = isServerObject(obj);
  const watch = new Watch(obj, isServer);
  (obj as Watched)[WATCH] = watch;
  obj.on("error", onError);
  obj.on("close", onClose);
  if (isServer) {
    (obj as Server).on("connection", onConnection);
  } else {
    // 'drain' and 'connect' matter only to write interest: listenWritable adds them then.
    obj.on("end", onAnyEvent);
  }
  return watch;
}

/**
 * The next connection a watched server accepted (paused: nothing read yet). Python's
 * `accept()` on a non-blocking socket: throws BlockingIOError when none waits; wait for the
 * server to be readable (or use `loop.sockAccept`) instead.
 */
export function acceptNowait(server: Server): Socket {
  const w = watchOf(server);
  if (!w.isServer) throw new TypeError("acceptNowait needs a net.Server");
  const sock = w.backlog.shift();
  if (sock === undefined) {
    throw new BlockingIOError(
      "acceptNowait: no connection is waiting: wait until the server is readable (or yield* loop.sockAccept(server))",
      { code: "EAGAIN", syscall: "accept" },
    );
  }
  return sock;
}

/**
 * Listen for what changes a socket's writability ('drain', 'connect'), once, when write
 * interest is first registered: most sockets (every accepted one a transport drives) never
 * register it. Registering marks the object hot, so a change before this is not missed.
 */
function listenWritable(w: Watch): void {
  if (w.writableListening || w.isServer) return;
  w.writableListening = true;
  const sock = w.obj as Socket;
  sock.on("drain", onAnyEvent);
  sock.on("connect", onAnyEvent);
}

/** Put a socket in paused mode with our 'readable' listener (once). */
function listenReadable(w: Watch): void {
  if (w.readableListening || w.isServer) return;
  w.readableListening = true;
  (w.obj as Socket).on("readable", onAnyEvent);
}

/**
 * @internal The error of a watched object: the one Node reported, or the one it is about to report
 * (`destroy(err)` stores it at once but emits 'error' a tick later), or undefined.
 */
export function errorOf(w: Watch): unknown {
  if (w.error !== undefined) return w.error;
  const stored = (w.obj as { errored?: unknown }).errored;
  return stored === null ? undefined : stored;
}

/** The length of the oldest chunk in Node's read buffer of `sock` (0 when it is empty). */
export function firstChunkLength(sock: Socket): number {
  const rs = (sock as unknown as { _readableState?: ReadableStateView })._readableState;
  const b = rs?.buffer;
  if (Array.isArray(b)) return b[rs!.bufferIndex ?? 0]?.length ?? 0;
  const head = b?.head;
  if (head !== undefined && head !== null) return head.data.length;
  return sock.readableLength;
}

/**
 * The oldest chunk Node holds for `sock`, as Node read it (no concatenation, no copy), or null
 * when none waits. `sock.read()` would join every buffered chunk into a new Buffer.
 */
export function readChunk(sock: Socket): Buffer | null {
  const n = firstChunkLength(sock);
  return n === 0 ? null : (sock.read(n) as Buffer | null);
}

/**
 * True when EOF was received from the peer (buffered bytes may still precede it): the test a
 * reader callback uses to tell "nothing yet" (`read()` returned null) from "nothing ever".
 */
export function eofReceived(sock: Socket): boolean {
  const rs = (sock as unknown as { _readableState?: ReadableStateView })._readableState;
  return rs?.ended === true || sock.readableEnded;
}

/**
 * @internal The events of `interest` that `w`'s object is ready for now. Checks the common case first
 * (bytes buffered) and only what was asked: this runs for every candidate in every poll.
 */
export function readinessOf(w: Watch, interest: number = ALL_EVENTS): number {
  if (w.isServer) {
    return w.backlog.length > 0 || w.closed || errorOf(w) !== undefined ? EVENT_READ : 0;
  }
  const sock = w.obj as Socket;
  let ev = 0;
  if ((interest & EVENT_READ) !== 0) {
    if (sock.readableLength > 0 || eofReceived(sock) || sock.destroyed) ev = EVENT_READ;
    else if (errorOf(w) !== undefined) ev = EVENT_READ;
  }
  if ((interest & EVENT_WRITE) !== 0) {
    if (sock.destroyed || (!sock.pending && !sock.writableNeedDrain)) ev |= EVENT_WRITE;
    else if (errorOf(w) !== undefined) ev |= EVENT_WRITE;
  }
  return ev;
}

function checkEvents(events: number, where: string): void {
  if (typeof events !== "number" || events <= 0 || (events & ~ALL_EVENTS) !== 0) {
    throw new RangeError(
      `${where}: events must be EVENT_READ, EVENT_WRITE or both (EVENT_READ | EVENT_WRITE), got ${String(events)}`,
    );
  }
}

/**
 * A selector over Node sockets and servers, in the manner of Python's `selectors` module.
 * `SelectorLoop` uses one; it also works on its own with `select(timeoutMs)`.
 * @example
 * const sel = new NodeSocketSelector<string>();
 * sel.register(sock, EVENT_READ, "client");
 * for (const [key, ev] of await sel.select(1000)) {
 *   if (ev & EVENT_READ) console.log(key.data, (key.fileobj as net.Socket).read());
 * }
 * sel.close();
 */
export class NodeSocketSelector<D = unknown> {
  /** Called (from a Node event) when a registered object may have become ready. */
  onReady: (() => void) | null = null;
  readonly #keys = new Map<Selectable, SelectorKey<D>>();
  /**
   * Invariant: #hot[0..#hotCount) are exactly the watches with `hot === true`, each once.
   * Counted rather than resized: setting an array's length is a slow runtime call, and this
   * list is rebuilt every loop iteration.
   */
  #hot: (Watch | undefined)[] = [];
  #hotCount = 0;
  #spare: (Watch | undefined)[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;
  #polls = 0;
  #events = 0;
  #reported = 0;

  /**
   * Start watching `obj` for `events` (EVENT_READ, EVENT_WRITE or both), with `data` for the
   * owner (Python's `selector.register`). Throws SelectorKeyError when `obj` is registered
   * already (here or with another selector) or this selector is closed, RangeError for a bad
   * event mask.
   */
  register(obj: Selectable, events: number, data?: D): SelectorKey<D> {
    checkEvents(events, "register");
    this.#checkOpen();
    if (this.#keys.has(obj)) {
      throw new SelectorKeyError(
        "register: this object is registered already: use modify() to change its events",
      );
    }
    const w = watchOf(obj);
    if (w.selector !== null && w.selector !== this) {
      throw new SelectorKeyError(
        "register: this object is registered with another selector: unregister it there first",
      );
    }
    const key = new SelectorKey<D>(obj, events, data as D, w);
    this.#keys.set(obj, key);
    w.key = key;
    w.selector = this;
    if ((events & EVENT_READ) !== 0) listenReadable(w);
    if ((events & EVENT_WRITE) !== 0) listenWritable(w);
    this._markHot(w);
    return key;
  }

  /**
   * Change the events (and optionally the data) of a registered object (`selector.modify`).
   * Throws SelectorKeyError when `obj` is not registered.
   */
  modify(obj: Selectable, events: number, data?: D): SelectorKey<D> {
    checkEvents(events, "modify");
    const key = this.#keys.get(obj);
    if (key === undefined) {
      throw new SelectorKeyError("modify: this object is not registered: register() it first");
    }
    key.events = events;
    if (data !== undefined) key.data = data;
    if ((events & EVENT_READ) !== 0) listenReadable(key._watch);
    if ((events & EVENT_WRITE) !== 0) listenWritable(key._watch);
    this._markHot(key._watch);
    return key;
  }

  /**
   * Stop watching `obj`; returns its key (`selector.unregister`). Its error listener stays
   * (errors stay recorded). Throws SelectorKeyError when `obj` is not registered.
   */
  unregister(obj: Selectable): SelectorKey<D> {
    const key = this.#keys.get(obj);
    if (key === undefined) {
      throw new SelectorKeyError("unregister: this object is not registered");
    }
    this.#keys.delete(obj);
    const w = key._watch;
    w.key = null;
    w.selector = null;
    return key;
  }

  /** The key of `obj`, or undefined. */
  getKey(obj: Selectable): SelectorKey<D> | undefined {
    return this.#keys.get(obj);
  }

  /** Every registration, by object. */
  getMap(): ReadonlyMap<Selectable, SelectorKey<D>> {
    return this.#keys;
  }

  /** How many objects are registered. */
  get size(): number {
    return this.#keys.size;
  }

  /** @internal How many objects the next poll looks at (0: it has nothing to do). */
  get _candidates(): number {
    return this.#hotCount;
  }

  /**
   * Whether a registered object is ready now, without reporting it: candidates found not ready
   * leave the hot list (so a loop about to sleep does not wake once more only to find nothing).
   */
  anyReady(): boolean {
    const list = this.#hot;
    const n = this.#hotCount;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const w = list[i]!;
      list[i] = undefined;
      const key = w.key;
      if (key !== null && w.selector === this && readinessOf(w, key.events) !== 0) {
        list[kept++] = w;
      } else {
        w.hot = false;
      }
    }
    this.#hotCount = kept;
    return kept > 0;
  }

  /** The ready keys now, without waiting (Python's `select(0)`). */
  poll(): SelectorEvent<D>[] {
    const out: SelectorEvent<D>[] = [];
    this.pollEach((key, ev) => {
      out.push([key, ev]);
    });
    return out;
  }

  /**
   * Call `visit(key, events)` for each ready key, at most `max` of them, without allocating;
   * returns how many. Keys that were ready stay candidates for the next poll (level-triggered);
   * when `max` stops the poll early, the candidates it did not look at come first next time,
   * so a few busy sockets cannot starve the others.
   */
  pollEach(
    visit: (key: SelectorKey<D>, events: number) => void,
    max: number = Number.POSITIVE_INFINITY,
  ): number {
    this.#polls++;
    const count = this.#hotCount;
    if (count === 0) return 0;
    const list = this.#hot;
    this.#hot = this.#spare;
    this.#hotCount = 0;
    let n = 0;
    let i = 0;
    for (; i < count && n < max; i++) {
      const w = list[i]!;
      list[i] = undefined;
      w.hot = false;
      const key = w.key;
      if (key === null || w.selector !== this) continue;
      const ev = readinessOf(w, key.events);
      if (ev === 0) continue;
      n++;
      if (!w.hot) {
        w.hot = true;
        this.#hot[this.#hotCount++] = w;
      }
      visit(key as SelectorKey<D>, ev);
    }
    if (i < count) this.#putFirst(list, i, count);
    this.#spare = list;
    this.#reported += n;
    return n;
  }

  /** Move `list[from..to)` (still hot) to the front of the hot list, emptying their slots. */
  #putFirst(list: (Watch | undefined)[], from: number, to: number): void {
    const hot = this.#hot;
    const rest = to - from;
    const served = this.#hotCount;
    for (let j = served - 1; j >= 0; j--) hot[j + rest] = hot[j];
    for (let j = 0; j < rest; j++) {
      hot[j] = list[from + j];
      list[from + j] = undefined;
    }
    this.#hotCount = served + rest;
  }

  /**
   * Wait up to `timeoutMs` (Infinity: no limit) for a registered object to be ready, from the
   * sockets' own events; resolves with the ready keys (empty on timeout).
   */
  select(timeoutMs = Number.POSITIVE_INFINITY): Promise<SelectorEvent<D>[]> {
    if (typeof timeoutMs !== "number" || Number.isNaN(timeoutMs)) {
      return Promise.reject(
        new RangeError(`select(${String(timeoutMs)}): pass a timeout in milliseconds`),
      );
    }
    const now = this.poll();
    if (now.length > 0 || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const check = () => {
        const ready = this.poll();
        if (ready.length === 0 && !this.#closed) {
          this.#waiters.push(check);
          return;
        }
        if (timer !== null) clearTimeout(timer);
        resolve(ready);
      };
      this.#waiters.push(check);
      if (timeoutMs !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          const i = this.#waiters.indexOf(check);
          if (i >= 0) this.#waiters.splice(i, 1);
          resolve(this.poll());
        }, timeoutMs);
      }
    });
  }

  /** Forget every registration (the objects themselves are left open). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const key of this.#keys.values()) {
      key._watch.key = null;
      key._watch.selector = null;
    }
    this.#keys.clear();
    for (let i = 0; i < this.#hotCount; i++) this.#hot[i]!.hot = false;
    this.#hot = [];
    this.#hotCount = 0;
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w();
  }

  /** True once `close()` was called; `register` then throws SelectorKeyError. */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Counters: `registered` (objects), `hot` (candidates for the next poll), `polls`, `events`
   * (Node events seen for registered objects) and `reported` (ready keys reported so far).
   */
  statistics(): Record<string, number> {
    return {
      registered: this.#keys.size,
      hot: this.#hotCount,
      polls: this.#polls,
      events: this.#events,
      reported: this.#reported,
    };
  }

  /** @internal An event arrived for `w` (registered here): make it a candidate. */
  _markHot(w: Watch): void {
    this.#events++;
    if (!w.hot) {
      w.hot = true;
      this.#hot[this.#hotCount++] = w;
    }
    const cb = this.onReady;
    if (cb !== null) cb();
    if (this.#waiters.length > 0) {
      const waiters = this.#waiters.splice(0);
      // A Node event runs outside any select(); re-check on the next tick when state settled.
      process.nextTick(() => {
        for (const f of waiters) f();
      });
    }
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new SelectorKeyError("this selector is closed: create a new NodeSocketSelector");
    }
  }
}
