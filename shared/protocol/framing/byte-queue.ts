/**
 * The byte buffer behind every resumable framing decoder (AAP v1, AAP 2.0, MTCP, TCPCLv3; design.md
 * principle 2). Sockets push the chunks they read; decoders look at the first bytes and consume whole
 * frames.
 *
 * Contract, chosen for throughput on large payloads:
 * - push() keeps a reference to the chunk, never a copy. Views handed out alias the pushed chunks, so a
 *   caller must not reuse a chunk's memory after pushing it.
 * - take(n) returns a view when the n bytes lie in one chunk and copies them once, into a buffer of
 *   exactly n bytes, only when they span chunks.
 * - Memory follows the bytes actually received, never a length a peer announced: nothing here allocates
 *   ahead of data.
 */
const EMPTY = new Uint8Array(0);

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Index in `chunks` of the first chunk still holding unread bytes. */
  private head = 0;
  /** Bytes of chunks[head] already consumed. */
  private offset = 0;
  private size = 0;

  /** Bytes available to read. */
  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The byte at position `i` (0 ≤ i < length) without consuming anything. */
  byteAt(i: number): number {
    let c = this.head;
    let idx = i + this.offset;
    for (;;) {
      const chunk = this.chunks[c] as Uint8Array;
      if (idx < chunk.length) return chunk[idx] as number;
      idx -= chunk.length;
      c++;
    }
  }

  /**
   * The next `n` bytes (n ≤ length) as one contiguous view, without consuming them. When they span
   * chunks they are copied once into a chunk of exactly n bytes that replaces them, so peeking again is
   * free. Used for headers, which are small.
   */
  peek(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.chunks[this.head] as Uint8Array;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const merged = this.copyOut(n);
    // Put the merged bytes back in front of what is left.
    if (this.offset > 0) {
      this.chunks[this.head] = (this.chunks[this.head] as Uint8Array).subarray(this.offset);
      this.offset = 0;
    }
    if (this.head > 0) {
      this.head -= 1;
      this.chunks[this.head] = merged;
    } else {
      this.chunks.unshift(merged);
    }
    this.size += n;
    return merged;
  }

  /** Consume `n` bytes (n ≤ length): a view when they lie in one chunk, else one copy. */
  take(n: number): Uint8Array {
    const first = this.chunks[this.head];
    if (first === undefined) return new Uint8Array(0);
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return view;
    }
    return this.copyOut(n);
  }

  /** Consume `n` bytes (n ≤ length) without looking at them. */
  skip(n: number): void {
    this.advance(n);
  }

  /** Copy the next n bytes into a new buffer and consume them. */
  private copyOut(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head] as Uint8Array;
      const avail = chunk.length - this.offset;
      const count = Math.min(avail, n - written);
      out.set(chunk.subarray(this.offset, this.offset + count), written);
      written += count;
      this.advance(count);
    }
    return out;
  }

  private advance(n: number): void {
    this.size -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head] as Uint8Array;
      const avail = chunk.length - this.offset;
      if (left < avail) {
        this.offset += left;
        break;
      }
      left -= avail;
      // Release the consumed chunk at once (the slot keeps the array's element kind).
      this.chunks[this.head] = EMPTY;
      this.offset = 0;
      this.head++;
    }
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
