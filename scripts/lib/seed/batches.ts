// The products file as batches of COPY text, validated record by record while the server works on
// the batch before; cut at so many records or bytes, so memory stays flat. Each batch holds one
// COPY text per table it goes to: the staging table, or products and inventory themselves.
import { ReplkitError } from '../errors.js'
import { CopyBatch } from './copy-batch.js'
import { type RawRecord, readProductFile } from './json-records.js'
import { type Limits, type Product, validateProduct } from './products.js'

/** Records per batch: small enough to keep memory flat, large enough that each statement is set-based. */
export const SEED_BATCH_RECORDS = 50_000
/**
 * A batch also ends at this much COPY text, so memory stays flat whatever a record's size: two
 * batches are held at once (one on the server, the next being validated), and 50,000 records
 * with long descriptions would otherwise be hundreds of MB. 4 MB rather than 8: the same speed
 * and about 20 MB less at the peak (a 1M seed into empty tables: 37.2 s and 133 MB against 38.3 s
 * and 154 MB).
 */
export const SEED_BATCH_BYTES = 4 << 20

/** How a valid record becomes COPY text: one line for each table the batch is copied into, in order. */
export interface BatchShape {
  tables: number
  lines(p: Product, raw: RawRecord): string[]
}

/** One batch of the file: a COPY text for each table of its shape, the same records in each. */
export class SeedBatch {
  readonly copies: CopyBatch[]

  constructor(tables: number) {
    this.copies = Array.from({ length: tables }, () => new CopyBatch())
  }

  add(lines: string[]): void {
    for (let i = 0; i < lines.length; i++) this.copies[i].add(lines[i])
  }

  get records(): number {
    return this.copies[0].records
  }

  get bytes(): number {
    return this.copies.reduce((sum, copy) => sum + copy.bytes, 0)
  }
}

export interface BatchOptions {
  file: string
  onProgress?: (records: number, fraction: number) => void
  batchRecords?: number
}

/** How many invalid records one run names before it stops reading. */
const INVALID_REPORTED = 20

/** Every invalid record found (up to INVALID_REPORTED), one line each; one alone stays one line. */
function invalidRecords(file: string, lines: string[], stopped: boolean): ReplkitError {
  if (lines.length === 1) return new ReplkitError(lines[0])
  const count = stopped ? `the first ${lines.length}` : `${lines.length}`
  return new ReplkitError(`${file}: ${count} invalid records, nothing was written:\n  ${lines.join('\n  ')}`)
}

/**
 * The file as COPY text, one batch per yield, validated record by record; found counts the records
 * read. After an invalid record nothing more is staged, but the file is read on (up to
 * INVALID_REPORTED of them), so one run names every problem to fix.
 */
export function recordBatches(opts: BatchOptions, limits: Limits, known: Set<string>, shape: BatchShape) {
  const state = { found: 0, fraction: 0 }
  const batchRecords = opts.batchRecords ?? SEED_BATCH_RECORDS
  const invalid: string[] = []
  /** A record's COPY lines, or null when it is invalid (named, up to INVALID_REPORTED of them). */
  const linesOf = (raw: RawRecord): string[] | null => {
    try {
      return shape.lines(validateProduct(raw, opts.file, limits, known), raw)
    } catch (error) {
      if (!(error instanceof ReplkitError)) throw error
      if (invalid.push(error.message) === INVALID_REPORTED) throw invalidRecords(opts.file, invalid, true)
      return null
    }
  }
  const onBytes = (read: number, total: number) => {
    state.fraction = total ? read / total : 1
  }
  async function* batches(): AsyncGenerator<SeedBatch> {
    let batch = new SeedBatch(shape.tables)
    for await (const records of readProductFile(opts.file, onBytes)) {
      for (const raw of records) {
        ++state.found
        const lines = linesOf(raw)
        if (lines === null || invalid.length) continue
        batch.add(lines)
        if (state.found % 5000 === 0) opts.onProgress?.(state.found, state.fraction)
        if (batch.records === batchRecords || batch.bytes >= SEED_BATCH_BYTES) {
          yield batch
          batch = new SeedBatch(shape.tables)
        }
      }
    }
    if (invalid.length) throw invalidRecords(opts.file, invalid, false)
    if (batch.records) yield batch
  }
  return {
    batches: batches(),
    get found() {
      return state.found
    },
  }
}

export type RecordBatches = ReturnType<typeof recordBatches>
