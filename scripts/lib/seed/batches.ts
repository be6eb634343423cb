// The products file as batches of COPY text for the seed's staging table, validated record by
// record while the server works on the batch before; cut at so many records or bytes, so memory
// stays flat.
import { ReplkitError } from '../errors.js'
import { CopyBatch } from './copy-batch.js'
import { readProductFile } from './json-records.js'
import { type Limits, stagingLine, validateProduct } from './products.js'

/** Records per batch: small enough to keep memory flat, large enough that each statement is set-based. */
export const SEED_BATCH_RECORDS = 50_000
/**
 * A batch also ends at this much COPY text, so memory stays flat whatever a record's size: two
 * batches are held at once (one on the server, the next being validated), and 50,000 records
 * with long descriptions would otherwise be hundreds of MB.
 */
export const SEED_BATCH_BYTES = 8 << 20

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
export function recordBatches(opts: BatchOptions, limits: Limits, known: Set<string>) {
  const state = { found: 0, fraction: 0 }
  const batchRecords = opts.batchRecords ?? SEED_BATCH_RECORDS
  async function* batches(): AsyncGenerator<CopyBatch> {
    let batch = new CopyBatch()
    const invalid: string[] = []
    for await (const raw of readProductFile(opts.file, (read, total) => {
      state.fraction = total ? read / total : 1
    })) {
      ++state.found
      let line: string
      try {
        line = stagingLine(validateProduct(raw, opts.file, limits, known), raw)
      } catch (error) {
        if (!(error instanceof ReplkitError)) throw error
        if (invalid.push(error.message) === INVALID_REPORTED) throw invalidRecords(opts.file, invalid, true)
        continue
      }
      if (invalid.length) continue
      batch.add(line)
      if (state.found % 5000 === 0) opts.onProgress?.(state.found, state.fraction)
      if (batch.records === batchRecords || batch.bytes >= SEED_BATCH_BYTES) {
        yield batch
        batch = new CopyBatch()
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
