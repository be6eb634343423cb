// make fix-conflict as a library call: subscriptions stopped by an apply error, with the failing
// remote transaction's finish LSN and key from the replica's server log, and the chosen repair.
import { opened } from '../node.js'
import type { Config, NodeSpec } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'
import { runSqlFile } from '../sql-files.js'
import { Steps } from '../steps.js'
import { waitFor } from '../wait.js'
import { compareWithPrimary, reportEquality } from './compare.js'
import { formatBytes } from '../output.js'
import {
  type ApplyCause,
  type ApplyFailure,
  classifyApplyError,
  currentApplyFailure,
  readServerLog,
} from '../replication/worker-log.js'
import { resyncReplica } from './resync.js'
import type { ServerAccess } from '../server-access.js'

export interface FixOptions {
  replica?: string
  choice: 'resync' | 'skip' | null
  lsn?: string
  dryRun: boolean
  timeoutMs: number
  /** What replkit may read of the servers besides SQL: the log files of those it runs. */
  servers: ServerAccess
}

export interface Stopped {
  replica: NodeSpec
  subscription: string
  oid: number
  enabled: boolean
  failure: ApplyFailure | null
  cause: ApplyCause | null
  /** WAL from the slot's confirmed position to the failing commit: at most what SKIP throws away. */
  skipBytes: number | null
  source: string
}

export interface FixResult {
  steps: Steps
  stopped: Stopped[]
  /** Conflicts shown but not repaired (no choice given). */
  left: number
}

async function inspect(
  config: Config,
  replica: NodeSpec,
  sql: Sql,
  servers: ServerAccess,
  steps: Steps,
): Promise<Stopped | null> {
  const subscription = subscriptionName(replica)
  const [sub] = await sql`
    select s.oid::int8 as oid, s.subenabled as enabled, s.subslotname as slotname, coalesce(st.apply_error_count, 0)::int8 as errors,
           (select remote_lsn::text from pg_replication_origin_status where external_id = 'pg_' || s.oid) as applied,
           exists (select from pg_stat_subscription w where w.subid = s.oid and w.relid is null and w.pid is not null) as worker
    from pg_subscription s left join pg_stat_subscription_stats st on st.subid = s.oid where s.subname = ${subscription}`
  if (!sub) {
    steps.show(`${replica.name}: no subscription ${subscription}`)
    return null
  }
  if (Number(sub.errors) === 0) {
    steps.ok(`${replica.name}: ${subscription} has no apply errors`, false)
    return null
  }
  const log = await readServerLog(replica, sql, servers)
  const failure = log.text ? currentApplyFailure(log.text, Number(sub.oid), sub.applied) : null
  // The count is cumulative: with a readable log, no current failure and the worker applying, it is history.
  if (log.text && !failure && sub.enabled && sub.worker) {
    steps.ok(
      `${replica.name}: ${subscription} applies; its ${sub.errors} counted apply error${Number(sub.errors) === 1 ? ' is' : 's are'} history: its log holds no failure it has not applied past`,
      false,
    )
    return null
  }
  const [slot] = failure
    ? await withNode(
        config.primary,
        primary => primary`
    select pg_wal_lsn_diff(${failure!.finishLsn}::pg_lsn, confirmed_flush_lsn)::int8 as bytes
    from pg_replication_slots where slot_name = ${sub.slotname ?? subscription}`,
      )
    : []
  return {
    replica,
    subscription,
    oid: Number(sub.oid),
    enabled: sub.enabled,
    failure,
    cause: failure ? classifyApplyError(failure.error, failure.context) : null,
    skipBytes: slot ? Number(slot.bytes) : null,
    source: log.source,
  }
}

export function describeStopped(s: Stopped): string {
  const f = s.failure!
  return (
    `${s.replica.name}: ${s.subscription} is stopped by an apply error${s.enabled ? ' (the worker retries and fails again)' : ' (disabled)'}\n` +
    `    error:        ${f.error}\n` +
    `    conflicting:  ${f.detail ?? '(no DETAIL line)'}\n` +
    `    change:       ${f.messageType ?? '?'} on ${f.relation ?? '?'} in remote transaction ${f.remoteXid ?? '?'}\n` +
    `    finish LSN:   ${f.finishLsn}   (from ${s.source}, logged ${f.loggedAt})`
  )
}

const skipSize = (s: Stopped) =>
  s.skipBytes === null ? 'its size unknown' : `up to ${formatBytes(Math.max(0, s.skipBytes))} of WAL`

/** Why resync and SKIP are the wrong tools: the failure is not a conflicting row. */
function notAConflict(s: Stopped): string | null {
  switch (s.cause) {
    case 'trigger':
      return `the failure is a trigger on ${s.replica.name} (${s.failure?.context}), not a conflicting row: a resync would hit the same trigger; disable or fix it as make check prints; apply then resumes by itself with nothing lost`
    case 'constraint':
    case 'missing-relation':
    case 'data':
      return `the failure is the replica's own schema (${s.failure?.error}), not a conflicting row: a resync would hit the same error; fix it as make check prints; apply then resumes by itself with nothing lost`
    case 'missing-column':
      return `the failure is schema drift, not a conflicting row: add the column on ${s.replica.name} as make check prints it (ALTER TABLE … ADD COLUMN …); apply then resumes by itself with nothing lost`
    case 'permission':
      return `the failure is a missing privilege on ${s.replica.name}, not a conflicting row: grant it; apply then resumes by itself with nothing lost`
    default:
      return null
  }
}

function choices(s: Stopped, lsn: string): string {
  const r = s.replica.name
  const other = notAConflict(s)
  if (other) return `    ${other}`
  return (
    `    choose one:\n` +
    `      --resync --yes  resynchronise ${r} (make sync): every table copied again from the PRIMARY; ${r}'s current rows are saved first, and the ones it alone has are listed\n` +
    `      --skip --yes    ALTER SUBSCRIPTION ${s.subscription} SKIP (lsn = '${lsn}'): the WHOLE transaction ${s.failure?.remoteXid ?? ''} is dropped on ${r} (${skipSize(s)}),\n` +
    `                      every row it wrote, not only the conflicting one: ${r} diverges from the PRIMARY (make sync repairs it later)`
  )
}

async function skip(config: Config, s: Stopped, sql: Sql, lsn: string, opts: FixOptions, steps: Steps): Promise<void> {
  const { dryRun } = opts
  const vars = { subscription: s.subscription }
  await runSqlFile(s.replica, 'sql/conflict/010_skip_transaction.sql', { vars: { ...vars, lsn }, dryRun })
  if (!s.enabled) await runSqlFile(s.replica, 'sql/sync/030_enable_subscription.sql', { vars, dryRun })
  if (!dryRun) {
    // subskiplsn returns to 0/0 once the worker has skipped the transaction.
    await waitFor({
      what: `${s.replica.name}'s worker to reach LSN ${lsn} (the skip stays armed; see make check)`,
      timeoutMs: opts.timeoutMs,
      until: async () =>
        (await sql`select subskiplsn = '0/0' as done from pg_subscription where oid = ${s.oid}`)[0].done
          ? true
          : undefined,
    })
  }
  await runSqlFile(s.replica, 'sql/conflict/020_reset_error_count.sql', { vars, dryRun })
  if (dryRun) return steps.ok(`would: skip transaction at ${lsn} on ${s.replica.name}`, true)
  await withNode(config.primary, primary => waitForCatchup(primary, [s.subscription], opts.timeoutMs))
  steps.ok(`${s.replica.name}: skipped the transaction finished at ${lsn}; apply resumed and caught up`, true)
  steps.warn(
    `${s.replica.name}: that transaction's changes are missing there — it diverges from the PRIMARY; make sync ARGS="--replica ${s.replica.name} --yes" repairs it`,
  )
}

async function resync(config: Config, s: Stopped, sql: Sql, opts: FixOptions, steps: Steps): Promise<void> {
  await withNode(config.primary, async primary => {
    const say = (text: string) => steps.ok(opts.dryRun ? `would: ${text}` : text, true)
    const times = await resyncReplica(config, s.replica, primary, sql, {
      dryRun: opts.dryRun,
      timeoutMs: opts.timeoutMs,
      say,
    })
    if (!times) return
    steps.verify(`${s.replica.name}: every table ready after ${times.copyMs} ms, caught up ${times.catchupMs} ms later`)
    reportEquality(
      steps,
      s.replica.name,
      await compareWithPrimary(
        opened(config.primary, primary),
        [opened(s.replica, sql, s.subscription)],
        config.tables,
        opts.timeoutMs,
        config.publication,
      ),
    )
  })
}

export async function fixConflicts(config: Config, opts: FixOptions, steps = new Steps()): Promise<FixResult> {
  const replicas = opts.replica ? [config.replicas.find(r => r.name === opts.replica)] : config.replicas
  if (replicas.some(r => !r))
    throw new ReplkitError(
      `--replica ${opts.replica}: not a replica (replicas: ${config.replicas.map(r => r.name).join(', ')})`,
    )
  const result: FixResult = { steps, stopped: [], left: 0 }
  for (const replica of replicas as NodeSpec[]) {
    await withNode(replica, async sql => {
      const stopped = await inspect(config, replica, sql, opts.servers, steps)
      if (!stopped) return
      result.stopped.push(stopped)
      const lsn = opts.lsn ?? stopped.failure?.finishLsn
      if (stopped.failure) steps.show(describeStopped(stopped), 'fail')
      else
        steps.show(
          `${replica.name}: ${stopped.subscription} counts apply errors, but no current failure was found in the log: ${stopped.source}`,
          'fail',
        )
      if (!opts.choice) {
        steps.show(choices(stopped, lsn ?? '<finish LSN>'))
        result.left++
      } else if (notAConflict(stopped)) {
        throw new ReplkitError(
          `${replica.name}: not repaired with --${opts.choice}: ${notAConflict(stopped)}`,
          EXIT.failed,
        )
      } else if (opts.choice === 'resync') {
        await resync(config, stopped, sql, opts, steps)
      } else if (!lsn) {
        throw new ReplkitError(
          `${replica.name}: no finish LSN to skip: pass it with --lsn (see above where to find it)`,
          EXIT.failed,
        )
      } else {
        await skip(config, stopped, sql, lsn, opts, steps)
      }
    })
  }
  return result
}
