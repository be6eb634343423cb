// The fault drills' writer: inserts, updates and deletes orders on the PRIMARY at a steady rate
// and remembers, client-side, exactly which ids it committed and which it deleted — so "nothing
// lost" is checked row by row, not guessed from counts. A statement whose outcome is unknown
// (the connection dropped mid-flight) marks its id uncertain and is left out of the check; the
// writer then retries with the next statement, as an application would.
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { NodeSpec } from '../config.js'
import { type Sql, connect } from '../db.js'

export const CHAOS_EMAIL = 'replkit-chaos@replkit.test'

export interface WriterResult {
  transactions: number
  inserts: number
  updates: number
  deletes: number
  /** Statements that failed (connection lost, server restarting) and were retried with the next. */
  errors: number
  /** Of those, refused by a read-only (fenced) PRIMARY: certainly not committed. */
  refused: number
  /** The longest time between two committed statements: what the application saw as a write pause. */
  longestGapMs: number
  seconds: number
  live: string[]
  deleted: string[]
  uncertain: number
}

/** SQLSTATE 25006: the transaction is read-only (make switchover's fence): nothing was written. */
const refusedAsReadOnly = (error: unknown) => (error as { code?: string }).code === '25006'

/**
 * node: where the application writes; a function when that changes while it runs (a switchover:
 * each worker reconnects to the node it returns).
 */
export function startWriter(node: NodeSpec | (() => NodeSpec), ratePerSecond: number, workers = 4) {
  const target = typeof node === 'function' ? node : () => node
  const live = new Set<string>()
  const deleted = new Set<string>()
  const uncertain = new Set<string>()
  const counts = { inserts: 0, updates: 0, deletes: 0, errors: 0, refused: 0 }
  const started = performance.now()
  let lastCommit = started
  let longestGapMs = 0
  const committed = () => {
    const now = performance.now()
    longestGapMs = Math.max(longestGapMs, now - lastCommit)
    lastCommit = now
  }
  const failed = (error: unknown, id?: string) => {
    counts.errors++
    if (refusedAsReadOnly(error)) counts.refused++
    else if (id) uncertain.add(id)
  }
  let running = true
  const pick = () => {
    const ids = [...live]
    return ids[Math.floor(Math.random() * ids.length)]
  }

  async function step(sql: Sql): Promise<void> {
    const r = Math.random()
    if (live.size < 20 || r < 0.6) {
      const id = randomUUID()
      try {
        await sql`insert into public.orders (id, customer_email, total) values (${id}, ${CHAOS_EMAIL}, 1)`
        live.add(id)
        counts.inserts++
        committed()
      } catch (error) {
        failed(error, id)
      }
    } else if (r < 0.85) {
      const id = pick()
      try {
        await sql`update public.orders set total = total + 1 where id = ${id}`
        counts.updates++
        committed()
      } catch (error) {
        failed(error)
      }
    } else {
      const id = pick()
      live.delete(id) // no other worker may pick it while the delete is in flight
      try {
        await sql`delete from public.orders where id = ${id}`
        deleted.add(id)
        counts.deletes++
        committed()
      } catch (error) {
        if (refusedAsReadOnly(error)) live.add(id) // refused: the row is still there
        failed(error, id)
      }
    }
  }

  const loops = Array.from({ length: workers }, async () => {
    let at = target()
    let sql = connect(at, { connectTimeoutSeconds: 2, statementTimeoutMs: 5000 })
    const interval = (1000 * workers) / ratePerSecond
    let next = performance.now()
    try {
      while (running) {
        if (target() !== at) {
          await sql.end({ timeout: 1 }).catch(() => {})
          at = target()
          sql = connect(at, { connectTimeoutSeconds: 2, statementTimeoutMs: 5000 })
        }
        const before = counts.errors
        await step(sql)
        if (counts.errors > before) await sleep(50) // the server is away: back off briefly, then retry
        next += interval
        const wait = next - performance.now()
        if (wait > 0) await sleep(wait)
        else if (wait < -1000) next = performance.now() // after an outage, do not burst to catch up
      }
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  })

  return {
    async stop(): Promise<WriterResult> {
      running = false
      await Promise.all(loops)
      const transactions = counts.inserts + counts.updates + counts.deletes
      return {
        ...counts,
        transactions,
        seconds: (performance.now() - started) / 1000,
        longestGapMs,
        live: [...live].filter(id => !uncertain.has(id)),
        deleted: [...deleted].filter(id => !uncertain.has(id)),
        uncertain: uncertain.size,
      }
    },
  }
}

/** On one node: how many of the writer's committed rows are missing, and how many deleted rows are still there. */
export async function writerRowsOn(sql: Sql, result: WriterResult): Promise<{ missing: number; resurrected: number }> {
  const [row] = await sql`
    select ${result.live.length}::int - (select count(*) from public.orders where id = any(${result.live}::uuid[]))::int as missing,
           (select count(*) from public.orders where id = any(${result.deleted}::uuid[]))::int as resurrected`
  return { missing: row.missing, resurrected: row.resurrected }
}
