// One batch of COPY text lines, held as UTF-8 in 1 MB buffers rather than as one growing string:
// a string built line by line keeps every line (and the ropes joining them) alive until the
// batch is sent, so each batch is promoted to V8's old generation and the heap grows with it.
// Here each line's string dies young and the batch costs its bytes, once.

const CHUNK_BYTES = 1 << 20

export class CopyBatch {
  records = 0
  /** UTF-8 bytes held so far. */
  bytes = 0
  private readonly chunks: Buffer[] = []
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES)
  private used = 0

  add(line: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8, so this much room always holds the line.
    const room = line.length * 3
    if (this.used + room > this.chunk.length) this.seal(Buffer.allocUnsafe(Math.max(room, CHUNK_BYTES)))
    const written = this.chunk.write(line, this.used)
    this.used += written
    this.bytes += written
    this.records++
  }

  /** The batch's bytes, in order; the batch takes no more lines after this. */
  end(): Buffer[] {
    this.seal(Buffer.alloc(0))
    return this.chunks
  }

  /** Keeps the bytes written so far and goes on in `next`. */
  private seal(next: Buffer): void {
    if (this.used > 0) this.chunks.push(this.chunk.subarray(0, this.used))
    this.chunk = next
    this.used = 0
  }
}
