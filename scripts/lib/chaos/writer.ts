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

/** What the writer committed, deleted and could not be sure of, row by row, and its pauses. */
class Ledger {
  readonly live = new Set<string>()
  readonly deleted = new Set<string>()
  readonly uncertain = new Set<string>()
  readonly counts = { inserts: 0, updates: 0, deletes: 0, errors: 0, refused: 0 }
  readonly started = performance.now()
  private lastCommit = this.started
  longestGapMs = 0

  committed(kind: 'inserts' | 'updates' | 'deletes'): void {
    this.counts[kind]++
    const now = performance.now()
    this.longestGapMs = Math.max(this.longestGapMs, now - this.lastCommit)
    this.lastCommit = now
  }

  failed(error: unknown, id?: string): void {
    this.counts.errors++
    if (refusedAsReadOnly(error)) this.counts.refused++
    else if (id) this.uncertain.add(id)
  }

  pick(): string {
    const ids = [...this.live]
    return ids[Math.floor(Math.random() * ids.length)]
  }

  result(): WriterResult {
    const { counts, uncertain } = this
    return {
      ...counts,
      transactions: counts.inserts + counts.updates + counts.deletes,
      seconds: (performance.now() - this.started) / 1000,
      longestGapMs: this.longestGapMs,
      live: [...this.live].filter(id => !uncertain.has(id)),
      deleted: [...this.deleted].filter(id => !uncertain.has(id)),
      uncertain: uncertain.size,
    }
  }
}

/** One statement: an insert (60 %, or while few rows are live), an update (25 %) or a delete, recorded. */
async function step(sql: Sql, ledger: Ledger): Promise<void> {
  const r = Math.random()
  if (ledger.live.size < 20 || r < 0.6) {
    const id = randomUUID()
    try {
      await sql`insert into public.orders (id, customer_email, total) values (${id}, ${CHAOS_EMAIL}, 1)`
      ledger.live.add(id)
      ledger.committed('inserts')
    } catch (error) {
      ledger.failed(error, id)
    }
  } else if (r < 0.85) {
    try {
      await sql`update public.orders set total = total + 1 where id = ${ledger.pick()}`
      ledger.committed('updates')
    } catch (error) {
      ledger.failed(error)
    }
  } else {
    const id = ledger.pick()
    ledger.live.delete(id) // no other worker may pick it while the delete is in flight
    try {
      await sql`delete from public.orders where id = ${id}`
      ledger.deleted.add(id)
      ledger.committed('deletes')
    } catch (error) {
      if (refusedAsReadOnly(error)) ledger.live.add(id) // refused: the row is still there
      ledger.failed(error, id)
    }
  }
}

/** One worker: its share of the rate, following the target node when it changes, backing off after an error. */
async function workerLoop(target: () => NodeSpec, interval: number, ledger: Ledger, running: () => boolean) {
  const open = (node: NodeSpec) => connect(node, { connectTimeoutSeconds: 2, statementTimeoutMs: 5000 })
  let at = target()
  let sql = open(at)
  let next = performance.now()
  try {
    while (running()) {
      if (target() !== at) {
        await sql.end({ timeout: 1 }).catch(() => {})
        at = target()
        sql = open(at)
      }
      const before = ledger.counts.errors
      await step(sql, ledger)
      if (ledger.counts.errors > before) await sleep(50) // the server is away: back off briefly, then retry
      next += interval
      const wait = next - performance.now()
      if (wait > 0) await sleep(wait)
      else if (wait < -1000) next = performance.now() // after an outage, do not burst to catch up
    }
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {})
  }
}

/**
 * node: where the application writes; a function when that changes while it runs (a switchover:
 * each worker reconnects to the node it returns).
 */
export function startWriter(node: NodeSpec | (() => NodeSpec), ratePerSecond: number, workers = 4) {
  const target = typeof node === 'function' ? node : () => node
  const ledger = new Ledger()
  let running = true
  const interval = (1000 * workers) / ratePerSecond
  const loops = Array.from({ length: workers }, () => workerLoop(target, interval, ledger, () => running))
  return {
    async stop(): Promise<WriterResult> {
      running = false
      await Promise.all(loops)
      return ledger.result()
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
