/**
 * Protocols: the callbacks a transport calls, as asyncio's `protocols.py`.
 *
 * HOW: a transport drives its protocol through a fixed sequence of plain (non-coroutine)
 * callbacks, each run as a loop callback:
 *
 *   connectionMade ─► dataReceived* ─► eofReceived? ─► connectionLost
 *                     pauseWriting / resumeWriting (write buffer over / back under its limits)
 *
 * Every method is optional: extend `Protocol` and override what you need, or pass an object
 * literal. `eofReceived` returning true keeps the transport open for writing (half-close);
 * anything else closes it.
 */

import type { Transport } from "./transport.js";

/** Callbacks every protocol may have (asyncio's BaseProtocol). */
export interface BaseProtocolLike {
  /** The connection is up; `transport` is how to write and close. */
  connectionMade?(transport: Transport): void;
  /** The connection is gone: `exc` is the error (e.g. ConnectionResetError) or null for a clean close. */
  connectionLost?(exc: Error | null): void;
  /** The transport's write buffer went over its high-water mark: stop writing until resumeWriting. */
  pauseWriting?(): void;
  /** The write buffer drained to its low-water mark: writing may go on. */
  resumeWriting?(): void;
}

/** A streaming protocol (asyncio's Protocol). */
export interface ProtocolLike extends BaseProtocolLike {
  /** Bytes arrived (a view; keep it or copy it, it is not reused). */
  dataReceived?(data: Uint8Array): void;
  /** The peer will send no more. Return true to keep the transport open for writing. */
  eofReceived?(): boolean | undefined | void;
}

/** Makes the protocol of each new connection. */
export type ProtocolFactory<P extends ProtocolLike = ProtocolLike> = () => P;

/**
 * Base class with no-op callbacks, to extend (asyncio's BaseProtocol).
 */
export class BaseProtocol implements BaseProtocolLike {
  connectionMade(_transport: Transport): void {}
  connectionLost(_exc: Error | null): void {}
  pauseWriting(): void {}
  resumeWriting(): void {}
}

/**
 * Base class of streaming protocols, to extend (asyncio's Protocol).
 * @example
 * class Echo extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(t: Transport) { this.transport = t; }
 *   override dataReceived(data: Uint8Array) { this.transport.write(data); }
 * }
 * const server = yield* createServer(() => new Echo(), "127.0.0.1", 8888);
 */
export class Protocol extends BaseProtocol implements ProtocolLike {
  dataReceived(_data: Uint8Array): void {}
  eofReceived(): boolean | undefined | void {
    return undefined;
  }
}
