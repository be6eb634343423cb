// The judgement of `make check`, as pure functions: facts in, derived figures (lag, table
// comparisons) and verdicts out, each verdict naming the problem and the fix. No I/O here, so
// every rule is unit-tested with hand-made facts.
import { tableText } from '../table-name.js'
import type { ClusterFacts, NodeFacts, ReplicaFacts } from './facts.js'
import {
  type CanaryFacts,
  type Thresholds,
  type Verdict,
  blockingApplyFailure,
  compareTables,
  replicaLags,
  subscriptionOf,
  tablesCopying,
} from './figures.js'
import { formatBytes } from '../output.js'
import { behindBy } from '../replication/sequences.js'
import { primaryVerdicts } from './verdicts-primary.js'
import { replicaVerdicts } from './verdicts-replica.js'
import { EXIT } from '../errors.js'
import type { FailureKind } from '../db.js'
import { unreadableNotes } from './privileges.js'

export * from './figures.js'

/** Conflicts that leave the replica without a change the PRIMARY made: apply skips them and goes on. */
const SKIPPING = ['update_missing', 'delete_missing'] as const

/** 18+: the skipped changes counted on the replica's subscription, and the tables its log names for them. */
export function skippedChanges(replica: ReplicaFacts): { counts: string; total: number; tables: string[] } | null {
  const sub = subscriptionOf(replica)
  if (!sub?.conflicts) return null
  const counted = SKIPPING.filter(t => sub.conflicts![t] > 0)
  if (!counted.length) return null
  const tables = [
    ...new Set(
      (replica.log?.conflicts ?? [])
        .filter(c => (SKIPPING as readonly string[]).includes(c.type))
        // The log names schema.table unquoted.
        .map(c => tableText({ schema: c.relation.split('.')[0], name: c.relation.split('.').slice(1).join('.') })),
    ),
  ]
  return {
    counts: counted.map(t => `${t} ${sub.conflicts![t]}`).join(', '),
    total: counted.reduce((n, t) => n + sub.conflicts![t], 0),
    tables,
  }
}

/**
 * A table that differed on a replica which had not applied everything, and that the comparison at
 * an LSN could not settle: its rows may be a committed transaction the replica has not applied, so
 * never OK (a replica that reaches the LSN in time is compared there and never lands here).
 */
const notProven = (table: string, node: string, error: string | undefined): Verdict => ({
  code: 'TABLE_NOT_PROVEN',
  level: 'warning',
  node,
  problem: `${table} on ${node} is not proven to hold the PRIMARY's committed rows: it differed when read, ${node} had not applied all of the PRIMARY's WAL${error ? `, and it could not be compared at an LSN: ${error}` : ''}`,
  fix: `see ${node}'s lag and apply verdicts; run make check again once it has caught up (if it never does, read its log)`,
})

function consistencyVerdicts(facts: ClusterFacts): Verdict[] {
  const out: Verdict[] = []
  for (const { table, cells } of compareTables(facts)) {
    const reference = cells[0]
    for (const cell of cells) {
      if (cell.state === 'missing') {
        out.push({
          code: 'TABLE_MISSING',
          level: 'critical',
          node: cell.node,
          problem: `table ${table} does not exist on ${cell.node}`,
          // DDL is not replicated. A replica gets the PRIMARY's own definition, not sql/schema's.
          fix:
            cell.node === facts.primary.name
              ? 'run make schema (DDL is not replicated)'
              : `make replicate: it creates ${table} on ${cell.node} from the PRIMARY's definition and copies its rows (DDL is not replicated)`,
        })
      }
      if (cell.state === 'applying') out.push(notProven(table, cell.node, facts.compareErrors?.[table]))
      if (cell.state !== 'differs') continue
      const replica = facts.replicas.find(r => r.name === cell.node)
      const subscribed = replica && subscriptionOf(replica)
      const what =
        cell.rows !== reference.rows
          ? `${table} has ${cell.rows} rows on ${cell.node}, primary has ${reference.rows}`
          : `${table} differs in content on ${cell.node} (same ${cell.rows} rows, different checksum)`
      const skipped = replica && skippedChanges(replica)
      if (subscribed && skipped && (skipped.tables.includes(table) || skipped.tables.length === 0)) {
        out.push({
          code: 'TABLE_DIFFERS_SKIPPED_CHANGES',
          level: 'critical',
          node: cell.node,
          problem: `${what}: ${subscribed.name} skipped changes to rows ${cell.node} does not have (${skipped.counts}; PostgreSQL 18's conflict statistics${skipped.tables.length ? `, ${table} named in its log` : ''})`,
          fix: `make sync ARGS="--replica ${cell.node} --yes" (repairs the differing rows, or copies the replica again when many differ; under live writes; the other replicas keep streaming; what it overwrites is saved first)`,
        })
        continue
      }
      out.push({
        code: 'TABLE_DIFFERS',
        level: 'critical',
        node: cell.node,
        problem: what,
        fix: subscribed
          ? `see the rows with make check ARGS="--diff ${table}"; make sync ARGS="--replica ${cell.node} --yes" repairs them (only those rows when few differ and ${subscribed.name} streams, else a copy of the replica; what it overwrites is saved first)`
          : 'replication is not set up: run make replicate (it copies the data)',
      })
    }
  }
  return out
}

function canaryVerdicts(canary: CanaryFacts | null): Verdict[] {
  if (!canary) return []
  if (canary.error)
    return [
      {
        code: 'CANARY_NOT_RUN',
        level: 'warning',
        node: 'primary',
        problem: `canary not run: ${canary.error}`,
        fix: 'seed the PRIMARY (make seed) so a category exists',
      },
    ]
  return canary.arrivals
    .filter(a => a.status === 'late')
    .map(a => ({
      code: 'CANARY_LATE',
      level: 'critical' as const,
      node: a.replica,
      problem: `the canary row did not reach ${a.replica} within ${canary.timeoutMs} ms`,
      fix: "replication is stuck or far behind: see that subscription's verdicts and the replica's log",
    }))
}

/** --diff rows that were not read on a replica are not compared: never "no differing rows". */
function diffVerdicts(facts: ClusterFacts): Verdict[] {
  return Object.entries(facts.diffNotCompared ?? {}).map(([replica, why]) => ({
    code: 'DIFF_NOT_COMPARED',
    level: 'unknown' as const,
    node: replica,
    problem: `--diff: rows not compared on ${replica}: ${why}`,
    fix: 'run make check ARGS="--diff TABLE" again when the nodes answer in time (or with a larger --deadline)',
  }))
}

type Unusable = Pick<Verdict, 'code' | 'level' | 'problem' | 'fix'>

/** A node that could not be used, by why (a wrong password is not a stopped server): a table, one row per kind. */
const UNUSABLE: Partial<Record<FailureKind, (n: NodeFacts, which: string) => Unusable>> = {
  login: (n, which) => ({
    code: 'NODE_LOGIN_REFUSED',
    level: 'critical',
    problem: `cannot log in to ${n.name}: ${n.error}`,
    fix: `correct the user or password in ${which} (.env or the environment); the server itself is up`,
  }),
  'not-postgres': (n, which) => ({
    code: 'NODE_NOT_POSTGRES',
    level: 'critical',
    problem: `${n.name} is not a PostgreSQL server: ${n.error}`,
    fix: `point ${which} at the PostgreSQL port`,
  }),
  tls: (n, which) => ({
    code: 'NODE_TLS_FAILED',
    level: 'critical',
    problem: `cannot connect to ${n.name} over TLS: ${n.error}`,
    fix: `check sslmode and sslrootcert in ${which} (or PGSSLMODE, PGSSLROOTCERT) against the server's certificate`,
  }),
  slow: n => ({
    code: 'NODE_TOO_SLOW',
    level: 'unknown',
    problem: `${n.name} could not be observed: ${n.error}`,
    fix: 'nothing is known about it from this run: run make check again when it is less busy, or give it more time with --statement-timeout',
  }),
  query: n => ({
    code: 'NODE_UNREADABLE',
    level: 'unknown',
    problem: `${n.name} answered, but make check could not read it: ${n.error}`,
    fix: `${n.name} is up, not down: nothing is known about its replication from this run; fix what the server's error names, then run make check again`,
  }),
  'no-database': (n, which) => ({
    code: 'NODE_NO_DATABASE',
    level: 'critical',
    problem: `${n.name}: ${n.error}`,
    fix: `create the database, or correct ${which}`,
  }),
}

/** Refused connections and anything else: down, with the FATAL line of a start that failed. */
const down = (n: NodeFacts): Unusable => ({
  code: 'NODE_DOWN',
  level: 'critical',
  problem: `${n.name} is down: ${n.error}${n.startFailure ? `; its last start failed: ${n.startFailure}` : ''}`,
  fix: n.startFailure
    ? `the server refuses to start for the reason its log gives: correct that (the HINT says how; a setting: ALTER SYSTEM cannot run on a stopped server, edit postgresql.auto.conf), then start ${n.name}${n.role === 'primary' ? '; nothing replicates meanwhile' : ''}`
    : n.role === 'primary'
      ? 'start the PRIMARY; nothing replicates meanwhile'
      : `start ${n.name}; it catches up from its slot on the PRIMARY when it returns`,
})

/** The one verdict for a node that could not be used. */
function unusable(n: NodeFacts): Verdict {
  const which = n.role === 'primary' ? 'PRIMARY_URL' : 'its URL in REPLICA_URLS'
  const row = (n.errorKind && UNUSABLE[n.errorKind]?.(n, which)) || down(n)
  return { code: row.code, level: row.level, node: n.name, problem: row.problem, fix: row.fix }
}

/** Every problem, worst first, each with its fix. */
export function verdicts(facts: ClusterFacts, thresholds: Thresholds, canary: CanaryFacts | null = null): Verdict[] {
  const all = [
    ...[facts.primary, ...facts.replicas].filter(n => !n.up).map(unusable),
    ...primaryVerdicts(facts, thresholds),
    ...facts.replicas.flatMap(r => replicaVerdicts(facts, r, thresholds)),
    ...consistencyVerdicts(facts),
    ...canaryVerdicts(canary),
    ...diffVerdicts(facts),
  ]
  return (['critical', 'unknown', 'warning'] as const).flatMap(level => all.filter(v => v.level === level))
}

/**
 * What an operator should know that is not a problem now: apply errors that no longer block
 * (counted since the statistics were reset; nothing to reset), and sequences a replica holds
 * below the PRIMARY's (never replicated: they matter at a switchover, not before).
 */
export function notes(facts: ClusterFacts): string[] {
  const out: string[] = []
  const lags = replicaLags(facts)
  const comparisons = compareTables(facts)
  for (const replica of facts.replicas.filter(r => r.up)) {
    const sub = subscriptionOf(replica)
    const lag = lags.find(l => l.replica === replica.name)
    // Streaming with no failure holding it is "in the past", caught up or not: on a live PRIMARY
    // a walsender is often a few bytes behind the newest WAL, and the counts stay all the same.
    if (sub && sub.applyErrorCount > 0 && lag?.source === 'walsender' && !blockingApplyFailure(replica, lag)) {
      const last = replica.log?.applyFailure ?? replica.log?.workerError
      out.push(
        `${sub.name} counted ${sub.applyErrorCount} apply error${sub.applyErrorCount === 1 ? '' : 's'} in the past and is streaming now` +
          (lag.caughtUp ? ', caught up' : `, ${formatBytes(lag.bytes ?? 0)} to apply`) +
          (last ? `; the last logged (${last.loggedAt}): ${last.error}` : ''),
      )
    }
    if (sub && sub.syncErrorCount > 0 && tablesCopying(sub).length === 0) {
      out.push(
        `${sub.name} counted ${sub.syncErrorCount} table sync error${sub.syncErrorCount === 1 ? '' : 's'} in the past; every table it subscribes to is copied and ready now`,
      )
    }
    const skipped = skippedChanges(replica)
    const differs = comparisons.some(c => c.cells.some(cell => cell.node === replica.name && cell.state === 'differs'))
    if (sub && skipped && !differs) {
      out.push(
        `${sub.name} counted ${skipped.counts} conflict${skipped.total === 1 ? '' : 's'} in the past (changes to rows ${replica.name} did not have, skipped); every table compared matches the PRIMARY now. ` +
          `The counts stay until SELECT pg_stat_reset_subscription_stats(${sub.id}) on ${replica.name}`,
      )
    }
    const overwritten = sub?.conflicts
      ? (['update_origin_differs', 'delete_origin_differs'] as const).filter(t => sub.conflicts![t] > 0)
      : []
    if (sub && overwritten.length) {
      out.push(
        `${sub.name}: rows last written on ${replica.name} itself were then changed by the PRIMARY (${overwritten.map(t => `${t} ${sub.conflicts![t]}`).join(', ')}): something writes to the replica; the PRIMARY's version is what it holds now`,
      )
    }
    for (const p of facts.primary.sequences) {
      const mine = replica.sequences.find(s => s.sequence === p.sequence)
      const behind = behindBy(p.lastValue, mine?.lastValue ?? null)
      if (behind > 0n) {
        out.push(
          `${replica.name}: sequence ${p.sequence} is at ${mine?.lastValue ?? 'its start (never used)'}, ${behind} behind the PRIMARY's ${p.lastValue} (sequences are not replicated): make sync-sequences before a switchover`,
        )
      }
    }
  }
  out.push(...unreadableNotes(facts))
  for (const { table, cells, rounds } of comparisons) {
    for (const cell of cells.filter(c => c.state === 'writing')) {
      const left = facts.compared?.[table]?.replicas.find(r => r.name === cell.node)?.unsettled
      out.push(
        `${table} on ${cell.node}: ${left} block${left === 1 ? '' : 's'} or row${left === 1 ? '' : 's'} changed again in each of ${rounds} rounds at an LSN, so neither equal nor proven different (rows being written, not differences); everything else matches`,
      )
    }
  }
  return out
}

export type Status = 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'

/** What was observed to be wrong wins; short of that, what could not be observed forbids OK. */
export function status(found: Verdict[]): Status {
  if (found.some(v => v.level === 'critical')) return 'CRITICAL'
  if (found.some(v => v.level === 'unknown')) return 'UNKNOWN'
  return found.length > 0 ? 'WARNING' : 'OK'
}

export function exitCode(found: Verdict[]): number {
  return { OK: EXIT.ok, WARNING: EXIT.warning, CRITICAL: EXIT.critical, UNKNOWN: EXIT.unknown }[status(found)]
}
