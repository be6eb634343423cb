// COPY ... FROM STDIN through the driver, settled by the server's answer. porsager/postgres hands
// a refusal that comes after the client's CopyDone (a unique violation in COPY's last buffered
// rows, an AFTER trigger or foreign-key check at the end of the statement) only to the COPY
// query's promise, which resolved long before with the stream: the stream never finishes and the
// caller waits for good (porsager/postgres#1173). Here that refusal ends the stream with the
// server's own error.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import type { Sql } from './db.js'

/** The driver's query object once it has resolved to the COPY stream: its reject still hears the server. */
interface CopyQuery {
  reject: (error: unknown) => void
}

/** Streams chunks into `statement` (a COPY ... FROM STDIN) on conn; rejects with the server's error, never hangs on it. */
export async function copyIn(conn: Sql, statement: string, chunks: Iterable<Buffer> | AsyncIterable<Buffer>) {
  const query = conn.unsafe(statement)
  const writable = (await query.writable()) as Writable
  const driverReject = (query as unknown as CopyQuery).reject
  ;(query as unknown as CopyQuery).reject = error => {
    writable.destroy(error instanceof Error ? error : new Error(String(error)))
    driverReject(error)
  }
  await pipeline(Readable.from(chunks), writable)
}
