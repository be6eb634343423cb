// An apply conflict, as the replica's server log tells it. When the apply worker fails (e.g. a
// unique violation), PostgreSQL 15 logs the error, its DETAIL (the conflicting key) and a CONTEXT
// line naming the subscription's replication origin ("pg_<subscription oid>") and the remote
// transaction's finish LSN — the LSN that ALTER SUBSCRIPTION … SKIP needs. The catalogues keep
// only a count (pg_stat_subscription_stats), so the log is the one place that has the LSN.
import { existsSync } from 'node:fs'
import { open } from 'node:fs/promises'
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import type { ServerAccess } from '../server-access.js'
import { contextFunction } from './server-error.js'

export interface ApplyFailure {
  error: string
  /** e.g. Key (sku)=(ABC) already exists. (PostgreSQL 18's conflict DETAIL is reduced to the same form.) */
  detail: string | null
  /** 18+: the conflict type its ERROR names (insert_exists, update_exists, multiple_unique_conflicts); null before. */
  conflictType: string | null
  relation: string | null
  messageType: string | null
  remoteXid: string | null
  finishLsn: string
  loggedAt: string
  /** What the CONTEXT says before the apply worker's own line, e.g. "PL/pgSQL function public.f() line 3 at RAISE": a trigger on the replica. */
  context: string | null
}

/** A CONTEXT entry (its tab-indented continuation lines joined): an inner context, then the apply worker's. */
const CONTEXT =
  /^(\S+ \S+ \S+) \[(\d+)\] .*CONTEXT:\s+(?:(.*?)\s+)?processing remote data for replication origin "([^"]+)" during message type "([^"]+)"(?: for replication target relation "([^"]+)")?(?: in transaction (\d+))?, finished at ([0-9A-F]+\/[0-9A-F]+)/

/** 18+: ERROR or LOG "conflict detected on relation "public.products": conflict=insert_exists". */
const CONFLICT_TYPE = /conflict detected on relation "[^"]+": conflict=(\w+)/

/** A message's text with the tab-indented lines the server logs after it (18's conflict DETAIL spans lines). */
function withContinuation(lines: string[], at: number, first: string): string {
  const parts = [first]
  for (let k = at + 1; k < lines.length && lines[k].startsWith('\t'); k++) parts.push(lines[k].trim())
  return parts.join(' ')
}

/**
 * PostgreSQL 18's DETAIL ("Key already exists in unique index "products_sku_key", modified in
 * transaction 780. Key (sku)=(X); existing local row (…); remote row (…).") reduced to the form
 * 15–17 log: "Key (sku)=(X) already exists." — one per key when several unique indexes collide.
 */
export function conflictKeys(detail: string): string {
  const keys = [...detail.matchAll(/Key (\([^)]*\)=\((?:[^()]|\([^)]*\))*\))/g)].map(k => `Key ${k[1]} already exists.`)
  return keys.length ? keys.join(' ') : detail
}

/** The last apply failure of the subscription whose origin is pg_<oid>, from server log text. */
export function lastApplyFailure(log: string, subscriptionOid: number): ApplyFailure | null {
  const lines = log.split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith('\t')) continue
    const m = CONTEXT.exec(withContinuation(lines, i, lines[i]))
    if (!m || m[4] !== `pg_${subscriptionOid}`) continue
    const pid = `[${m[2]}]`
    // The ERROR and DETAIL lines of the same process precede their CONTEXT line.
    let error = 'apply error'
    let detail: string | null = null
    for (let j = i - 1; j >= Math.max(0, i - 20); j--) {
      if (!lines[j].includes(pid)) continue
      const d = /DETAIL:\s+(.*)$/.exec(lines[j])
      if (d && detail === null) detail = withContinuation(lines, j, d[1])
      const e = /ERROR:\s+(.*)$/.exec(lines[j])
      if (e) {
        error = e[1]
        break
      }
    }
    const conflictType = CONFLICT_TYPE.exec(error)?.[1] ?? null
    return {
      error,
      detail: conflictType && detail ? conflictKeys(detail) : detail,
      conflictType,
      relation: m[6] ?? null,
      messageType: m[5],
      remoteXid: m[7] ?? null,
      finishLsn: m[8],
      loggedAt: m[1],
      context: m[3] ?? null,
    }
  }
  return null
}

/** 18+: the conflicts of one type on one table that the log still holds, with the last one's time. */
export interface LoggedConflict {
  type: string
  /** schema.table */
  relation: string
  lines: number
  lastLoggedAt: string
}

/**
 * Every "conflict detected on relation … conflict=TYPE" line (PostgreSQL 18+), by type and table:
 * the only place that says which table a counted conflict was on.
 */
export function loggedConflicts(log: string): LoggedConflict[] {
  const found = new Map<string, LoggedConflict>()
  for (const line of log.split('\n')) {
    const m = /^(\S+ \S+ \S+) \[\d+\] (?:LOG|ERROR):\s+conflict detected on relation "([^"]+)": conflict=(\w+)/.exec(
      line,
    )
    if (!m) continue
    const key = `${m[3]} ${m[2]}`
    const seen = found.get(key)
    if (seen) {
      seen.lines++
      seen.lastLoggedAt = m[1]
    } else found.set(key, { type: m[3], relation: m[2], lines: 1, lastLoggedAt: m[1] })
  }
  return [...found.values()]
}

export interface ServerLog {
  text: string | null
  /** Where it was read, or why it could not be. */
  source: string
}

const TAIL_BYTES = 4 * 1024 * 1024

async function tailOfFile(path: string): Promise<string> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const start = Math.max(0, size - TAIL_BYTES)
    const buffer = Buffer.alloc(size - start)
    await file.read(buffer, 0, buffer.length, start)
    return buffer.toString('utf8')
  } finally {
    await file.close()
  }
}

/**
 * A server replkit runs (the local cluster): its log file. Any other server: its current log file
 * read through SQL (logging_collector on, and a superuser or pg_read_server_files); otherwise the
 * operator is told where to look and passes the LSN with --lsn.
 */
export async function readServerLog(replica: NodeSpec, sql: Sql, servers: ServerAccess): Promise<ServerLog> {
  if (servers.owns(replica)) {
    const logFile = servers.logFile(replica)
    if (existsSync(logFile)) return { text: await tailOfFile(logFile), source: logFile }
  }
  try {
    const [row] = await sql`
      select pg_current_logfile('stderr') as file,
             pg_read_file(pg_current_logfile('stderr'), greatest(0, (pg_stat_file(pg_current_logfile('stderr'))).size - ${TAIL_BYTES}), ${TAIL_BYTES}) as text`
    if (row?.file) return { text: row.text, source: `${replica.name}:${row.file} (read with pg_read_file)` }
  } catch {
    // not allowed, or no logging_collector: fall through to the explanation
  }
  return {
    text: null,
    source:
      `${replica.name}'s server log is not readable from here: look in its log (SELECT pg_current_logfile(); on Debian /var/log/postgresql/postgresql-15-main.log) ` +
      `for 'processing remote data for replication origin … finished at <LSN>' and pass that LSN with --lsn`,
  }
}

/** Why an apply worker stopped, from its ERROR line: each cause has its own fix. */
export type ApplyCause =
  | 'key-conflict'
  | 'trigger'
  | 'constraint'
  | 'missing-relation'
  | 'data'
  | 'missing-column'
  | 'permission'
  | 'cannot-connect'
  | 'owner-cannot-log-in'
  | 'connection-lost'
  | 'other'

/**
 * The cause, from the server's own words: the CONTEXT naming a PL/pgSQL function (a trigger on
 * the replica raised it), then the message. What none of these names is 'other': quoted as it is.
 */
export function classifyApplyError(error: string, context: string | null = null): ApplyCause {
  if (contextFunction(context)) return 'trigger'
  if (/violates (?:check|not-null|foreign key|exclusion) constraint/.test(error)) return 'constraint'
  if (/relation "[^"]+" does not exist|target relation "[^"]+" does not exist/.test(error)) return 'missing-relation'
  if (/out of range|value too long|invalid input syntax/.test(error)) return 'data'
  if (
    /duplicate key value violates unique constraint|conflict=(?:insert_exists|update_exists|multiple_unique_conflicts)\b/.test(
      error,
    )
  )
    return 'key-conflict'
  if (/is missing replicated column/.test(error)) return 'missing-column'
  if (/permission denied/.test(error)) return 'permission'
  if (/could not connect to the publisher/.test(error)) return 'cannot-connect'
  if (/^role "[^"]+" is not permitted to log in/.test(error)) return 'owner-cannot-log-in'
  if (
    /could not receive data from WAL stream|server closed the connection|connection to server .* (?:was lost|failed)|data stream from publisher has ended|terminating logical replication worker|replication timeout/.test(
      error,
    )
  )
    return 'connection-lost'
  return 'other'
}

export interface WorkerError {
  error: string
  cause: ApplyCause
  loggedAt: string
}

/**
 * The last ERROR a logical replication worker logged that is not tied to a remote transaction
 * (those are lastApplyFailure's): "could not connect to the publisher: … password
 * authentication failed", a lost connection, or the FATAL of one that could not start. A line of
 * a worker whose start names another subscription (another tool's, or one dropped since: its
 * worker is terminated "due to administrator command") is that subscription's, never this one's.
 */
export function lastWorkerError(log: string, subscription: string): WorkerError | null {
  const lines = log.split('\n')
  const workerPids = new Set<string>()
  const others = otherSubscriptionsWorkers(lines, subscription)
  for (let i = lines.length - 1; i >= 0; i--) {
    if (others.has(/^\S+ \S+ \S+ \[(\d+)\]/.exec(lines[i])?.[1] ?? '')) continue
    const exited = /background worker "logical replication [^"]*worker" \(PID (\d+)\) exited/.exec(lines[i])
    if (exited) workerPids.add(exited[1])
    // A worker that cannot start as its subscription's owner (SUBSCRIPTION_OWNER without LOGIN)
    // dies with a FATAL before it logs anything else; its exit line names its PID.
    const fatal = /^(\S+ \S+ \S+) \[(\d+)\] FATAL:\s+(.*)$/.exec(lines[i])
    if (fatal && workerPids.has(fatal[2]))
      return { error: fatal[3], cause: classifyApplyError(fatal[3]), loggedAt: fatal[1] }
    const m =
      /^(\S+ \S+ \S+) \[\d+\] .*ERROR:\s+(.*(?:could not connect to the publisher|could not receive data from WAL stream|data stream from publisher has ended).*)$/.exec(
        lines[i],
      )
    if (m) return { error: m[2], cause: classifyApplyError(m[2]), loggedAt: m[1] }
  }
  return null
}

/** The PIDs of workers whose start line names another subscription than this one. */
function otherSubscriptionsWorkers(lines: string[], subscription: string): Set<string> {
  const pids = new Set<string>()
  for (const line of lines) {
    const started =
      /^\S+ \S+ \S+ \[(\d+)\] LOG:\s+logical replication .*worker for subscription "([^"]+)".* has started/.exec(line)
    if (started && started[2] !== subscription) pids.add(started[1])
  }
  return pids
}

/** An LSN ("16/B374D848") as a number that orders like the LSN. */
export const lsnNumber = (lsn: string): bigint => {
  const [hi, lo] = lsn.split('/')
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`)
}

/**
 * The subscription's last logged failure, unless the worker has since applied past it (or
 * skipped it): appliedLsn is the replication origin's remote_lsn, the last commit applied.
 */
export function currentApplyFailure(
  log: string,
  subscriptionOid: number,
  appliedLsn: string | null,
): ApplyFailure | null {
  const failure = lastApplyFailure(log, subscriptionOid)
  if (failure && appliedLsn && lsnNumber(appliedLsn) >= lsnNumber(failure.finishLsn)) return null
  return failure
}
