/**
 * Registrations: the reader and writer slots of the loop's selector keys, as asyncio's
 * `_add_reader` / `_remove_reader` / `_add_writer` / `_remove_writer` keep them. One
 * implementation serves both events: the event picks the slot.
 *
 * HOW: a selector key holds `{ reader, writer }` (IOCallbacks); its interest mask always has
 * EVENT_READ exactly while `reader` is set and EVENT_WRITE exactly while `writer` is set:
 *
 *   set(obj, EVENT_READ, r)   no key?  register(obj, READ, { reader: r, writer: null })
 *                             key?     reader = r, modify(obj, events | READ)
 *   clear(obj, EVENT_READ)    reader = null; modify(obj, events & ~READ), or unregister at 0
 *
 * A slot holds either an IOHandle (`addReader`/`addWriter` and the sock* coroutines; replacing
 * or clearing it cancels it, so a handle already queued this iteration does not run) or a
 * transport or server, which is its own Runnable and is never cancelled.
 *
 * WHY a room of its own: the loop's public readiness API, the sock* coroutines, transports and
 * servers all change these slots, and the invariant above must hold for all of them.
 *
 * Costs: O(1) each; no allocation unless the object was not registered yet (a key).
 */

import type { Runnable } from "@aioloop/core";
import { IOHandle, SocketInUseError } from "@aioloop/transports";
import type { IOCallbacks } from "./selector-backend.js";
import {
  EVENT_READ,
  type EVENT_WRITE,
  type NodeSocketSelector,
  type Selectable,
} from "./selector.js";

/** EVENT_READ (the reader slot) or EVENT_WRITE (the writer slot). */
export type IOEvent = typeof EVENT_READ | typeof EVENT_WRITE;

/** @internal The reader/writer slots of one loop's selector (see the module comment). */
export class Registrations {
  readonly #sel: NodeSocketSelector<IOCallbacks>;

  constructor(selector: NodeSocketSelector<IOCallbacks>) {
    this.#sel = selector;
  }

  /**
   * Make `r` the `event` callback of `obj`, registering `obj` if needed. An IOHandle it
   * replaces is cancelled.
   */
  set(obj: Selectable, event: IOEvent, r: Runnable): void {
    const sel = this.#sel;
    const key = sel.getKey(obj);
    if (key === undefined) {
      sel.register(
        obj,
        event,
        event === EVENT_READ ? { reader: r, writer: null } : { reader: null, writer: r },
      );
      return;
    }
    const cbs = key.data;
    let old: Runnable | null;
    if (event === EVENT_READ) {
      old = cbs.reader;
      cbs.reader = r;
    } else {
      old = cbs.writer;
      cbs.writer = r;
    }
    sel.modify(obj, key.events | event);
    if (old !== r && old instanceof IOHandle) old.cancel();
  }

  /**
   * Empty the `event` slot of `obj` (unregistering `obj` once both are empty); false when it
   * was empty. An IOHandle it held is cancelled.
   */
  clear(obj: Selectable, event: IOEvent): boolean {
    const sel = this.#sel;
    const key = sel.getKey(obj);
    if (key === undefined) return false;
    const cbs = key.data;
    let old: Runnable | null;
    if (event === EVENT_READ) {
      old = cbs.reader;
      cbs.reader = null;
    } else {
      old = cbs.writer;
      cbs.writer = null;
    }
    if (old === null) return false;
    const events = key.events & ~event;
    if (events === 0) sel.unregister(obj);
    else sel.modify(obj, events);
    if (old instanceof IOHandle) old.cancel();
    return true;
  }

  /** Whether the `event` slot of `obj` holds a callback. */
  has(obj: Selectable, event: IOEvent): boolean {
    const cbs = this.#sel.getKey(obj)?.data;
    if (cbs === undefined) return false;
    return (event === EVENT_READ ? cbs.reader : cbs.writer) !== null;
  }

  /**
   * Throw SocketInUseError when a transport or server drives `obj` (one of its slots holds
   * something other than an IOHandle): `where` (addReader...) would steal its readiness.
   */
  checkUserOwned(obj: Selectable, where: string): void {
    const cbs = this.#sel.getKey(obj)?.data;
    if (cbs === undefined) return;
    const { reader, writer } = cbs;
    if (
      (reader !== null && !(reader instanceof IOHandle)) ||
      (writer !== null && !(writer instanceof IOHandle))
    ) {
      throw new SocketInUseError(
        `${where}: this socket is driven by a transport or server: use the transport (pauseReading, write...) instead`,
      );
    }
  }
}
