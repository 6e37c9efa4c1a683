/**
 * Bytes in and out: reads return `Uint8Array`s (on Node, the Buffers Node read into, which are
 * Uint8Arrays: handed over as they are, since wrapping each in a new view costs the garbage
 * collector more than the rest of the read path), and writes take a `Uint8Array` or a string
 * (sent as UTF-8).
 */

/** What reads return at end of stream (shared: never written to). */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** `data` as bytes: Uint8Arrays as they are, other views re-viewed, strings as UTF-8. */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(
    `${where} needs bytes (a Uint8Array or Buffer) or a string, got ${data === null ? "null" : typeof data}`,
  );
}

/** One array holding `chunks` in order (the chunk itself when there is only one). */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  if (chunks.length === 0) return EMPTY_BYTES;
  const n = total ?? chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
