// COPY FROM STDIN through the driver: a refusal the server sends after the client's CopyDone (a
// foreign-key check at the end of the statement) rejects with the server's own error instead of
// leaving the caller waiting (porsager/postgres#1173); one sent part-way does too.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { copyIn } from '../../scripts/lib/copy-in.js'
import { db } from './helpers.js'

const copy = suite('copy in')

const lines = (...rows: string[]) => [Buffer.from(rows.map(r => `${r}\n`).join(''))]

/** A transaction with a parent (1) and a child table whose key to it is checked at the end of each COPY. */
async function withTables(fn: (conn: ReturnType<typeof db>) => Promise<void>): Promise<void> {
  const sql = db()
  const conn = await sql.reserve()
  try {
    await conn`begin`
    await conn`create temporary table copy_in_parent (id int primary key) on commit drop`
    await conn`create temporary table copy_in_child (parent int references copy_in_parent) on commit drop`
    await conn`insert into copy_in_parent values (1)`
    await fn(conn as unknown as ReturnType<typeof db>)
  } finally {
    await conn`rollback`.catch(() => {})
    conn.release()
    await sql.end()
  }
}

/** Rejects within ms, or fails the test: the point is that it does not wait for good. */
async function settledWithin<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

copy('rows the server takes: in, counted by the server', async () => {
  await withTables(async conn => {
    await copyIn(conn, 'copy copy_in_child (parent) from stdin', lines('1', '1', '1'))
    const [{ n }] = await conn`select count(*)::int as n from copy_in_child`
    assert.is(n, 3)
  })
})

/** The error copyIn rejects with for these rows, within 10 s; fails the test if the server took them. */
async function refusal(conn: ReturnType<typeof db>, ...rows: string[]): Promise<Error & { code?: string }> {
  try {
    await settledWithin(10_000, copyIn(conn, 'copy copy_in_child (parent) from stdin', lines(...rows)))
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error(`the COPY of ${rows.join(', ')} was taken`)
}

copy('refused after CopyDone (the foreign key checked at the end): rejects with the server error', async () => {
  await withTables(async conn => {
    const error = await refusal(conn, '1', '2')
    assert.is(error.code, '23503', error.message)
    assert.match(error.message, /copy_in_child_parent_fkey/)
  })
})

copy('refused part-way (a value its column cannot hold): rejects with the server error', async () => {
  await withTables(async conn => {
    const error = await refusal(conn, '1', 'x')
    assert.is(error.code, '22P02', error.message)
  })
})

copy.run()
