/** Protocols that record what happened to them, for the transport tests. */
import type { Future } from "@aioloop/core";
import { getRunningLoop } from "@aioloop/core";
import { concatBytes } from "@aioloop/transports";
import { Protocol } from "@aioloop/transports";
import type { Transport } from "@aioloop/transports";

/** Records every callback in order; `lost` completes at connectionLost. */
export class Recorder extends Protocol {
  events: string[] = [];
  chunks: Uint8Array[] = [];
  transport!: Transport;
  lostWith: Error | null | undefined = undefined;
  keepOpenOnEof = false;
  readonly lost: Future<Error | null> = getRunningLoop().createFuture();
  readonly made: Future<void> = getRunningLoop().createFuture();

  override connectionMade(t: Transport): void {
    this.transport = t;
    this.events.push("made");
    this.made.setResult(undefined);
  }
  override dataReceived(data: Uint8Array): void {
    if (this.events.at(-1) !== "data") this.events.push("data");
    this.chunks.push(data);
  }
  override eofReceived(): boolean {
    this.events.push("eof");
    return this.keepOpenOnEof;
  }
  override connectionLost(exc: Error | null): void {
    this.events.push("lost");
    this.lostWith = exc;
    this.lost.setResult(exc);
  }
  override pauseWriting(): void {
    this.events.push("pause");
  }
  override resumeWriting(): void {
    this.events.push("resume");
  }
  received(): Uint8Array {
    return concatBytes(this.chunks);
  }
  get size(): number {
    return this.chunks.reduce((s, c) => s + c.length, 0);
  }
}

/** Echoes everything back; closes when the peer sends EOF. */
export class Echo extends Protocol {
  transport!: Transport;
  override connectionMade(t: Transport): void {
    this.transport = t;
  }
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}
