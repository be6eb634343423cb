// A copy onto a replica that cannot leave it half-done: one psql session on the replica runs one
// transaction — the subscription steps aside, every table is emptied, every table is copied from
// the PRIMARY's exported snapshot (each a psql COPY … TO STDOUT streamed into this session's
// COPY … FROM STDIN), and the new subscription takes the snapshot's slot — then COMMIT. Any error
// (a trigger, a constraint, a missing table, a lost connection, the deadline) rolls all of it
// back: the replica keeps every row and its subscription as they were. Readers of the tables
// wait on the tables' lock until the commit (taken all at once, 035: no deadlock with a reader
// of several tables); they never see an empty or half-copied table.
import { sqlName } from '../table-name.js'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { type NodeSpec, repoRoot } from '../config.js'
import { type PsqlEnd, psqlLiteral, startPsql } from '../psql.js'
import { type TableToCopy, copyStatements } from '../replication/copy-statements.js'
import type { SecondaryIndex } from '../replication/snapshot-copy.js'
import { ReplkitError } from '../errors.js'

export interface AtomicCopyPlan {
  subscription: string
  /** The name the current subscription takes inside the transaction, dropped after the commit. */
  replaced: string
  /** The slot created with the exported snapshot; the new subscription streams from it. */
  slot: string
  publication: string
  /** The subscription's WITH options (replication/options.ts withList). */
  options: string
  /** Why each option was chosen for this pair of versions (describeOptions), for --dry-run. */
  why: string[]
  /** Every table, in one TRUNCATE (their foreign keys forbid one at a time). */
  tables: TableToCopy[]
  /** Dropped before the rows and built after them, in the same transaction: one sort each, not a row at a time. */
  indexes: SecondaryIndex[]
  timeoutMs: number
}

export interface AtomicCopyFailure {
  /** The replica session's stderr (verbose: SQLSTATE, DETAIL, CONTEXT, object names), or the PRIMARY's. */
  stderr: string
  node: 'replica' | 'primary'
}

const file = (path: string) => `\\i ${psqlLiteral(join(repoRoot, path))}`

/** The session's script around the rows: what runs, and what --dry-run prints. */
export function transactionScript(plan: AtomicCopyPlan): { before: string[]; copies: string[]; after: string[] } {
  const targets = plan.tables.map(t => sqlName(t.table)).join(', ')
  return {
    before: [
      '\\set VERBOSITY verbose',
      'BEGIN;',
      // The rows come as the apply worker writes them: no FK or ordinary trigger fires; ALWAYS ones do.
      'SET LOCAL session_replication_role = replica;',
      'SET LOCAL statement_timeout = 0;',
      `\\set tables ${psqlLiteral(targets)}`,
      file('sql/sync/035_lock_tables.sql'),
      file('sql/sync/040_set_aside_subscription.sql'),
      file('sql/replication/045_truncate_replica.sql'),
      ...plan.indexes.map(i => `${i.drop};`),
    ],
    copies: plan.tables.map(t => `${copyStatements(t, false).in};`),
    after: [
      // One sort in memory per index instead of spilled runs.
      ...(plan.indexes.length ? ["SET LOCAL maintenance_work_mem = '256MB';"] : []),
      ...plan.indexes.map(i => `${i.definition};`),
      file('sql/replication/052_subscription_from_slot.sql'),
      'COMMIT;',
    ],
  }
}

const vars = (plan: AtomicCopyPlan) => ({
  subscription: plan.subscription,
  replaced: plan.replaced,
  slot: plan.slot,
  publication: plan.publication,
  options: plan.options,
})

/** Streams one table's rows at the snapshot from the PRIMARY into the session, then ends its COPY. */
async function copyTable(
  primary: NodeSpec,
  t: TableToCopy,
  snapshot: string,
  into: NodeJS.WritableStream,
  running: Set<ChildProcess>,
): Promise<void> {
  const source = await startPsql(
    {
      node: primary,
      commands: [
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
        `SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`,
        copyStatements(t, false).out,
        'COMMIT',
      ],
    },
    ['ignore', 'pipe', 'pipe'],
  )
  running.add(source.child)
  const drained = finished(source.child.stdout!)
  source.child.stdout!.pipe(into, { end: false })
  try {
    await Promise.all([source.exited, drained])
  } catch {
    throw failed("the PRIMARY's COPY failed", { stderr: source.stderr(), node: 'primary' })
  } finally {
    running.delete(source.child)
  }
  into.write('\\.\n')
}

const failed = (message: string, failure: AtomicCopyFailure | null) =>
  Object.assign(new ReplkitError(message), { failure })

/**
 * Runs the transaction; resolves once it committed. On any failure the transaction is rolled
 * back (psql stops at the first error; a killed psql ends its session) and the rejection
 * carries the failing side's stderr as `failure` (null when the deadline stopped it).
 */
export async function copyAtomically(
  primary: NodeSpec,
  replica: NodeSpec,
  plan: AtomicCopyPlan,
  snapshot: string,
  conninfo: string,
): Promise<void> {
  const script = transactionScript(plan)
  const end: PsqlEnd = {
    node: replica,
    commands: [],
    vars: vars(plan),
    settings: { default_transaction_read_only: 'off' },
  }
  const session = await startPsql(end, ['pipe', 'ignore', 'pipe'])
  const running = new Set<ChildProcess>([session.child])
  const stopAll = () => {
    for (const child of running) child.kill()
  }
  const stdin = session.child.stdin!
  stdin.on('error', () => {}) // a session that stopped on an error closes its stdin: its exit says why
  let timedOut = false
  const deadline = setTimeout(() => {
    timedOut = true
    stopAll()
  }, plan.timeoutMs)
  const sessionDone = session.exited.catch(() => {
    stopAll()
    throw timedOut
      ? failed(`the copy ran past its deadline of ${plan.timeoutMs / 1000} s`, null)
      : failed('the replica refused the copy', { stderr: session.stderr(), node: 'replica' })
  })
  const feed = async () => {
    stdin.write(`\\set conninfo ${psqlLiteral(conninfo)}\n${script.before.join('\n')}\n`)
    for (const [i, t] of plan.tables.entries()) {
      if (session.child.exitCode !== null || session.child.signalCode !== null) return
      stdin.write(`${script.copies[i]}\n`)
      await copyTable(primary, t, snapshot, stdin, running)
    }
    stdin.end(`${script.after.join('\n')}\n`)
  }
  try {
    // The session's own exit is the verdict: a PRIMARY-side failure also kills the session.
    await Promise.all([
      sessionDone,
      feed().catch(e => {
        session.child.kill()
        throw e
      }),
    ])
  } finally {
    clearTimeout(deadline)
    stopAll()
  }
}
