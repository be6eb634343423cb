// products.json read as a stream of records: the top-level array's grammar is scanned chunk by
// chunk (a 1,000,000-product file is never held in memory whole); each record's inside is left
// to JSON.parse, so a malformed one is reported at its own line.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { ReplkitError } from '../errors.js'

export interface RawRecord {
  text: string
  index: number
  line: number
}

/** Position of the next `char` at or after `from`, or the chunk's end when there is none. */
function indexOrEnd(chunk: string, char: string, from: number): number {
  const at = chunk.indexOf(char, from)
  return at === -1 ? chunk.length : at
}

/**
 * Reads the top-level array, the records that end in each chunk at a time (an async step per
 * record cost more than the scan: a third of a 300k read); malformed JSON stops with file:line.
 */
export async function* readRecords(chunks: AsyncIterable<string>, file: string): AsyncGenerator<RawRecord[]> {
  const scanner = new ArrayScanner(file)
  for await (const chunk of chunks) {
    const records = scanner.scan(chunk)
    if (records.length > 0) yield records
  }
  scanner.end()
}

/** The top-level array's grammar, chunk by chunk: records are cut out whole, their insides left to JSON.parse. */
class ArrayScanner {
  private phase: 'start' | 'between' | 'after-value' | 'end' = 'start'
  private line = 1
  private depth = 0
  private inString = false
  private escaped = false
  private parts: string[] = []
  private index = 0
  private recordLine = 0
  private nextQuote = -1
  private nextBackslash = -1

  constructor(private readonly file: string) {}

  /** The records that end in this chunk; an unfinished one is kept for the next. */
  scan(chunk: string): RawRecord[] {
    const records: RawRecord[] = []
    let start = this.depth > 0 ? 0 : -1
    this.nextQuote = -1
    this.nextBackslash = -1
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (c === 10) this.line++
      if (this.depth > 0) {
        i = this.inRecord(chunk, i, c)
        if (this.depth === 0) {
          this.parts.push(chunk.slice(start, i + 1))
          records.push({ text: this.parts.join(''), index: this.index++, line: this.recordLine })
          this.parts = []
          start = -1
          this.phase = 'after-value'
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) {
        // whitespace (and a byte-order mark) between values
      } else if (this.phase === 'between' && c === 123) {
        this.depth = 1
        start = i
        this.recordLine = this.line
      } else this.between(c)
    }
    if (this.depth > 0) this.parts.push(chunk.slice(start))
    return records
  }

  /** Inside a record: strings, escapes and nesting; returns where the scan goes on. */
  private inRecord(chunk: string, i: number, c: number): number {
    if (this.escaped) {
      this.escaped = false
      return i
    }
    if (this.inString) {
      // Most of a record is string content: jump to the next quote or backslash instead of
      // stepping through it. (A raw newline inside a string is invalid JSON; JSON.parse
      // rejects that record at its own line, so skipping it does not misplace an error.)
      if (this.nextQuote < i) this.nextQuote = indexOrEnd(chunk, '"', i)
      if (this.nextBackslash < i) this.nextBackslash = indexOrEnd(chunk, '\\', i)
      if (this.nextBackslash < this.nextQuote) {
        this.escaped = true
        return this.nextBackslash
      }
      this.inString = this.nextQuote === chunk.length
      return this.nextQuote
    }
    if (c === 34) this.inString = true
    else if (c === 123 || c === 91) this.depth++
    else if (c === 125 || c === 93) this.depth--
    return i
  }

  /** Between records: the array's brackets and commas, anything else an error with its line. */
  private between(c: number): void {
    if (this.phase === 'start') {
      if (c !== 91) throw new ReplkitError(`${this.file}:${this.line}: the top level must be a JSON array of products`)
      this.phase = 'between'
    } else if (this.phase === 'between' && c === 93 && this.index === 0) {
      this.phase = 'end'
    } else if (this.phase === 'between') {
      this.fail(c === 93 ? 'trailing comma before ]' : `record [${this.index}] is not an object`)
    } else if (this.phase === 'after-value' && c === 44) {
      this.phase = 'between'
    } else if (this.phase === 'after-value' && c === 93) {
      this.phase = 'end'
    } else if (this.phase === 'after-value') {
      this.fail(`expected , or ] after record [${this.index - 1}]`)
    } else {
      this.fail('unexpected content after the closing ]')
    }
  }

  /** At the end of the file: the array must have been opened and closed. */
  end(): void {
    if (this.phase === 'start')
      throw new ReplkitError(`${this.file}: the file is empty; expected a JSON array of products`)
    if (this.phase !== 'end') this.fail('unexpected end of file (the array is not closed)')
  }

  private fail(what: string): never {
    throw new ReplkitError(`${this.file}:${this.line}: malformed JSON: ${what}`)
  }
}

/**
 * The file is decoded 64 KB at a time. A string over 128 KB (V8's largest regular object) is
 * allocated in the large-object space, which only a full collection frees: with 1 MB chunks
 * every chunk, and every record sliced from it, outlived the young generation and the heap
 * grew with the file (100,000 records: 47 MB of heap to read them, 15 MB with 64 KB chunks).
 */
const CHUNK_BYTES = 1 << 16

/** Streams a file's records, those of one chunk at a time; `onBytes` reports how far it has read, for progress. */
export async function* readProductFile(
  path: string,
  onBytes?: (read: number, total: number) => void,
): AsyncGenerator<RawRecord[]> {
  let total: number
  try {
    total = (await stat(path)).size
  } catch {
    throw new ReplkitError(`${path}: cannot read the file (does it exist?)`)
  }
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: CHUNK_BYTES })
  let read = 0
  async function* chunks() {
    for await (const chunk of stream as AsyncIterable<string>) {
      read += Buffer.byteLength(chunk)
      onBytes?.(read, total)
      yield chunk
    }
  }
  yield* readRecords(chunks(), path)
}
