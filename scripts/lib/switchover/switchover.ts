// make switchover as one library call: a replica becomes the PRIMARY with nothing lost, and the
// old PRIMARY and the other replicas subscribe to it from exactly the fenced point (no copy). In
// order: preflight (read-only) → prepare the target to publish (its wal_level, role, pg_hba,
// publication: safe while it is still a replica) → fence the PRIMARY → every replica applies its
// last LSN → checksums prove every node equal → sequences raised → subscriptions moved → the
// target takes writes → the old PRIMARY stops publishing. A failure before the target takes
// writes puts every subscription back on the old PRIMARY and unfences it (exit 2); a re-run after
// a crash finds the fence's marker and finishes or undoes the switch first.
import type { Config, NodeSpec } from '../config.js'
import { findNode } from '../config.js'
import { type Sql, connectChecked, majorOf, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { pauseClients, pointClientsAt, resumeClients } from '../pgbouncer.js'
import { runSqlFile } from '../sql-files.js'
import { Steps } from '../steps.js'
import { runCheck, DEFAULT_CHECK } from '../checks/run.js'
import { fingerprints, sameFingerprint } from '../checks/fingerprint.js'
import { subscriptionName } from '../replication/names.js'
import { replicatorPassword } from '../replication/password.js'
import { subscriptionConninfo } from '../replication/conninfo.js'
import { optionsBetween, withList } from '../replication/options.js'
import { preflight } from '../replication/preflight.js'
import { pointsAt, swapRoles, withActualRoles } from '../replication/roles.js'
import { raiseSequences } from '../replication/sequences.js'
import * as setup from '../replication/setup.js'
import { waitForApplied, waitForCatchup } from '../replication/waits.js'
import { type Marker, fenceMarkers } from './markers.js'

export interface SwitchoverOptions {
  to: string
  dryRun: boolean
  maxLagBytes: number
  /** The target may run an older major than the PRIMARY (a downgrade). */
  allowOlder: boolean
  timeoutMs: number
  /** Called as each step completes (fenced, caught-up, compared, …): the drills and tests inject their faults here. */
  afterStep?: (step: string) => void
  /** The write pause's budget: a step before the promote that ends past it rolls the switchover back. */
  maxPauseMs?: number
}

export interface SwitchoverResult {
  steps: Steps
  from: string
  to: string
  /** The fence (first refused write) to the target taking writes; null on a dry run or when nothing was done. */
  writePauseMs: number | null
  /** Of the pause, the checksum proof that every node is equal (a scan of every table: it grows with them). */
  proofMs: number | null
  totalMs: number
  /** The new PRIMARY, safe to print (no password). */
  primaryLabel: string
  /** The configuration as it is now (roles moved), for --write-env and the caller. */
  config: Config
}

const sqlFile = (
  node: NodeSpec,
  file: string,
  vars: Record<string, string>,
  dryRun: boolean,
  secretVars?: Record<string, string>,
) => runSqlFile(node, `sql/switchover/${file}`, { vars, secretVars, dryRun })

const dropSubscription = (node: NodeSpec, dryRun: boolean) =>
  runSqlFile(node, 'sql/rollback/010_revert_subscription.sql', {
    vars: { subscription: subscriptionName(node) },
    dryRun,
  })

/** node subscribes to `primary` from this point, without a copy (every node holds the same rows). */
async function subscribeTo(
  config: Config,
  primary: Sql,
  node: NodeSpec,
  nodeSql: Sql,
  password: string,
): Promise<string> {
  const chosen = await optionsBetween(primary, nodeSql, config.tables)
  const vars = { subscription: subscriptionName(node), publication: config.publication, options: withList(chosen) }
  await sqlFile(node, '020_subscribe_to_new_primary.sql', vars, false, {
    conninfo: subscriptionConninfo(config, password),
  })
  return withList(chosen)
}

interface Open {
  spec: NodeSpec
  sql: Sql
}

async function openAll(config: Config): Promise<Open[]> {
  return Promise.all(
    [config.primary, ...config.replicas].map(async spec => ({
      spec,
      sql: await connectChecked(spec, { max: 1, idleTimeoutSeconds: 0 }),
    })),
  )
}

/** Read-only: everything that must hold before anything changes; throws naming each problem. */
async function checkReady(config: Config, target: NodeSpec, opts: SwitchoverOptions, steps: Steps): Promise<void> {
  const report = await runCheck(config, DEFAULT_CHECK)
  const problems = report.verdicts.filter(v => v.level === 'critical').map(v => `${v.node}: ${v.problem}`)
  const lag = report.lag.find(l => l.replica === target.name)
  if (lag?.bytes == null || lag.bytes > opts.maxLagBytes)
    problems.push(
      `${target.name} lags ${lag?.bytes ?? 'an unknown number of'} bytes behind the PRIMARY (--max-lag ${opts.maxLagBytes})`,
    )
  for (const d of report.verdicts.filter(v => v.problem.startsWith('schema drift') && v.level !== 'critical'))
    problems.push(`${d.node}: ${d.problem}`)
  const versionOf = (name: string) =>
    [report.facts.primary, ...report.facts.replicas].find(n => n.name === name)?.server?.versionNum
  const [from, to] = [versionOf(config.primary.name), versionOf(target.name)]
  if (from && to && majorOf(to) < majorOf(from) && !opts.allowOlder) {
    problems.push(
      `${target.name} runs PostgreSQL ${majorOf(to)}, older than the PRIMARY's ${majorOf(from)}: a switchover there is a downgrade (--allow-older to do it anyway)`,
    )
  }
  if (report.facts.primary.up) {
    const [{ n: prepared }] = await withNode(
      config.primary,
      sql => sql`select count(*)::int as n from pg_prepared_xacts where database = current_database()`,
    )
    if (prepared)
      problems.push(
        `the PRIMARY holds ${prepared} prepared transaction(s) (pg_prepared_xacts): COMMIT PREPARED or ROLLBACK PREPARED them first`,
      )
  }
  if (problems.length) {
    for (const p of problems) steps.fail(p)
    throw new ReplkitError(`switchover refused: ${problems.length} problem(s) above; nothing was changed`, EXIT.failed)
  }
  steps.note(
    `preflight: make check healthy on every node, ${target.name} ${lag!.bytes} bytes behind, PostgreSQL ${majorOf(from!)} → ${majorOf(to!)}, no prepared transactions`,
  )
}

/** The target gets what a PRIMARY needs to publish; changes nothing it already has (make replicate's own steps). */
async function prepareTarget(
  future: Config,
  targetSql: Sql,
  opts: SwitchoverOptions,
  steps: Steps,
  password: string,
): Promise<void> {
  const facts = await preflight(future)
  const c: setup.SetupContext = {
    config: future,
    steps,
    dryRun: opts.dryRun,
    timeoutMs: opts.timeoutMs,
    truncateReplicas: false,
    copyMethod: 'subscription',
    copyJobs: 1,
    password,
    // The target is still a replica: restarting it is part of the switchover confirmed with --yes.
    restartPrimary: true,
  }
  await setup.walLevel(c, facts)
  await setup.role(c, targetSql)
  await setup.hba(c)
  setup.tls(c, facts)
  await setup.publication(c, targetSql)
}

/** Every node's tables hold the same rows as the fenced PRIMARY's: the proof before anyone else writes. */
async function proveEqual(config: Config, nodes: Open[]): Promise<void> {
  const sums = await Promise.all(nodes.map(n => fingerprints(n.sql, config.tables)))
  const differ = nodes
    .slice(1)
    .flatMap((n, i) =>
      config.tables.filter(t => !sameFingerprint(sums[0][t], sums[i + 1][t])).map(t => `${t} on ${n.spec.name}`),
    )
  if (differ.length)
    throw new ReplkitError(`checksums differ from the fenced PRIMARY's: ${differ.join(', ')}`, EXIT.failed)
}

/**
 * Back to the roles before the switch: every node subscribes to `primary` again (from this
 * point: nobody has written since the fence), `primary` takes writes. Safe at any step before
 * the target took writes. A node that cannot be reached is named with what to do.
 */
export async function rollBack(config: Config, primary: NodeSpec, steps: Steps): Promise<void> {
  const password = await replicatorPassword(config, false)
  const old = swapRoles(config, primary)
  const [p, ...others] = await Promise.all(
    [old.primary, ...old.replicas].map(async spec => ({
      spec,
      sql: await connectChecked(spec, { max: 1 }).catch(() => null),
    })),
  )
  if (!p.sql)
    throw new ReplkitError(
      `${primary.name} cannot be reached to lift its fence: start it, then run make switchover again`,
      EXIT.failed,
    )
  try {
    if (await subscriptionOn(p.sql, subscriptionName(p.spec))) {
      await dropSubscription(p.spec, false)
      steps.ok(`${p.spec.name}: dropped its new subscription`, true)
    }
    for (const n of others) {
      if (!n.sql) {
        steps.warn(
          `${n.spec.name} cannot be reached: when it is back, resync it: make sync ARGS="--replica ${n.spec.name} --yes"`,
        )
        continue
      }
      const sub = await subscriptionOn(n.sql, subscriptionName(n.spec))
      if (sub && pointsAt(sub, p.spec)) continue
      if (sub) {
        await dropSubscription(n.spec, false).catch(async () => {
          // Its new upstream is gone: detach the slot there instead of dropping it.
          await runSqlFile(n.spec, 'sql/rollback/015_revert_subscription_slot_gone.sql', {
            vars: { subscription: subscriptionName(n.spec) },
            dryRun: false,
          })
          steps.warn(
            `${n.spec.name}: its slot ${subscriptionName(n.spec)} stays on the unreachable node it had moved to: drop it there with SELECT pg_drop_replication_slot('${subscriptionName(n.spec)}')`,
          )
        })
      }
      const options = await subscribeTo(old, p.sql, n.spec, n.sql, password)
      steps.ok(
        `${n.spec.name}: subscribes to ${p.spec.name} again from this point (copy_data = false, ${options})`,
        true,
      )
    }
    await sqlFile(p.spec, '090_revert_fence.sql', {}, false)
    steps.ok(`${p.spec.name}: takes writes again (fence lifted)`, true)
    // A subscription created again streams only once its worker starts (every
    // wal_retrieve_retry_interval, 5 s by default): the rollback is done when every replica streams.
    const streaming = others.filter(n => n.sql).map(n => subscriptionName(n.spec))
    await waitForCatchup(p.sql, streaming, ROLLBACK_STREAMING_MS)
    steps.verify(`${streaming.join(', ')} stream from ${p.spec.name} again`)
  } finally {
    await Promise.all([p, ...others].map(n => n.sql?.end({ timeout: 1 })))
  }
}

/** How long a rollback waits for the replicas it subscribed again to stream. */
const ROLLBACK_STREAMING_MS = 60_000

/** The conninfo of the node's subscription of that name, or null. */
async function subscriptionOn(sql: Sql, name: string): Promise<string | null> {
  const [row] = await sql`select subconninfo from pg_subscription where subname = ${name}`
  return row?.subconninfo ?? null
}

export async function switchover(
  configured: Config,
  opts: SwitchoverOptions,
  steps = new Steps(),
): Promise<SwitchoverResult> {
  const started = performance.now()
  let config = await withActualRoles(configured)
  const recovered = await recover(config, steps, opts.dryRun)
  if (recovered) config = await withActualRoles(configured)
  const target = findNode(config, opts.to)
  const from = config.primary
  let proofMs: number | null = null
  const result = (pause: number | null, now: Config): SwitchoverResult => ({
    steps,
    from: from.name,
    to: target.name,
    writePauseMs: pause,
    proofMs,
    totalMs: performance.now() - started,
    primaryLabel: now.primary.label,
    config: now,
  })
  if (target.name === from.name) {
    steps.ok(`${target.name} is the PRIMARY already (from the catalogues): nothing to switch`, false)
    return result(null, config)
  }
  const password = await replicatorPassword(config, false)
  const future = swapRoles(config, target)
  await checkReady(config, target, opts, steps)
  let nodes = await openAll(config)
  try {
    const targetSql = () => nodes.find(n => n.spec.name === target.name)!.sql
    await prepareTarget(future, targetSql(), opts, steps, password)
    // Preparing may have restarted the target (wal_level): reconnect.
    await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 })))
    nodes = await openAll(config)
    if (opts.dryRun) {
      await dryRunPlan(config, future, target, steps)
      return result(null, config)
    }

    const [p, ...others] = nodes
    const [{ pid }] = await p.sql`select pg_backend_pid() as pid`
    const marker: Marker = { from: from.name, to: target.name, at: new Date().toISOString() }
    // With PgBouncer in front, the clients' pause starts at its PAUSE: counted from there.
    const fencedAt = performance.now()
    // Each step of the pause says when it ended, counted from the fence: where the pause goes.
    const since = () => `(+${Math.round(performance.now() - fencedAt)} ms)`
    let promotedAt: number | null = null
    // Each step before the promote: the tests' fault hook, then the pause's budget (--max-pause).
    const stepDone = (step: string) => {
      opts.afterStep?.(step)
      const elapsed = performance.now() - fencedAt
      if (opts.maxPauseMs !== undefined && elapsed > opts.maxPauseMs)
        throw new ReplkitError(
          `the write pause ran past --max-pause (${opts.maxPauseMs / 1000} s) by the end of step "${step}" (+${Math.round(elapsed)} ms)`,
          EXIT.failed,
        )
    }
    const bouncer = config.pgbouncer
    let paused = false
    if (bouncer) {
      await pauseClients(bouncer, from, opts.timeoutMs)
      paused = true
      steps.ok(
        `PgBouncer: ${from.database} paused: its clients wait, their transactions in flight ended ${since()}`,
        true,
      )
    }
    try {
      await sqlFile(from, '010_fence.sql', { marker: JSON.stringify(marker), keep_pid: String(pid) }, false)
      steps.ok(
        `${from.name}: fenced: new transactions read-only (default_transaction_read_only for ${from.database}), open sessions ended ${since()}`,
        true,
      )
      stepDone('fenced')
      await waitForApplied(
        p.sql,
        others.map(n => ({ sql: n.sql, subscription: subscriptionName(n.spec) })),
        opts.timeoutMs,
      )
      const [{ lsn }] = await p.sql`select pg_current_wal_lsn()::text as lsn`
      steps.verify(`every replica applied the fenced PRIMARY's last LSN ${lsn} ${since()}`)
      stepDone('caught-up')
      const proofStarted = performance.now()
      await proveEqual(config, nodes)
      proofMs = performance.now() - proofStarted
      steps.verify(`checksums: ${config.tables.length} tables equal on ${nodes.length} nodes at the fence ${since()}`)
      stepDone('compared')
      // From here on nobody writes anywhere, so independent steps run side by side (the pause is theirs).
      const t = others.find(n => n.spec.name === target.name)!
      const moving = others.filter(n => n.spec.name !== target.name)
      const demoted = future.replicas.find(r => r.name === from.name)!
      await Promise.all([
        ...others.map(async n => {
          const raised = await raiseSequences(n.spec, p.sql, n.sql, config.tables, false)
          if (raised.length)
            steps.ok(
              `${n.spec.name}: ${raised.map(r => `${r.sequence} raised to ${r.to}`).join(', ')} ${since()}`,
              true,
            )
        }),
        dropSubscription(t.spec, false).then(() =>
          steps.ok(
            `${target.name}: stopped subscribing (its subscription and slot on ${from.name} dropped) ${since()}`,
            true,
          ),
        ),
      ])
      stepDone('target-unsubscribed')
      await Promise.all([
        ...moving.map(async n => {
          await dropSubscription(n.spec, false)
          const options = await subscribeTo(future, t.sql, n.spec, n.sql, password)
          steps.ok(
            `${n.spec.name}: subscribes to ${target.name} from this point (copy_data = false, ${options}) ${since()}`,
            true,
          )
        }),
        subscribeTo(future, t.sql, demoted, p.sql, password).then(options =>
          steps.ok(
            `${from.name}: subscribes to ${target.name} as ${subscriptionName(demoted)} from this point (copy_data = false, ${options}) ${since()}`,
            true,
          ),
        ),
      ])
      stepDone('subscribed')
      await sqlFile(target, '030_promote.sql', {}, false)
      promotedAt = performance.now()
      steps.ok(`${target.name}: is the PRIMARY and takes writes ${since()}`, true)
      if (bouncer) {
        await pointClientsAt(bouncer, target, target)
        await resumeClients(bouncer, target)
        paused = false
        promotedAt = performance.now()
        steps.ok(`PgBouncer: ${from.database} points at ${target.name}, clients resumed ${since()}`, true)
      }
    } catch (error) {
      if (promotedAt !== null) throw error
      steps.fail(`switchover failed: ${(error as Error).message}`)
      await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 }))).catch(() => {})
      try {
        await rollBack(config, from, steps)
      } catch (undo) {
        throw new ReplkitError(
          `switchover failed (${(error as Error).message}) and so did the rollback: ${(undo as Error).message}; run make switchover again: it finishes or undoes the switch`,
          EXIT.failed,
        )
      }
      throw new ReplkitError(
        `switchover to ${target.name} failed and was rolled back: ${from.name} is the PRIMARY again and takes writes (${(error as Error).message})`,
        EXIT.failed,
      )
    } finally {
      // Clients never stay paused: after a rollback they resume on the old PRIMARY.
      if (bouncer && paused) await resumeClients(bouncer, from).catch(e => steps.fail((e as Error).message))
    }
    opts.afterStep?.('promoted')
    await sqlFile(from, '040_demote.sql', { publication: config.publication }, false)
    steps.ok(`${from.name}: publishes no more; stays read-only for clients as a replica`, true)
    const writePauseMs = promotedAt - fencedAt
    const t = nodes.find(n => n.spec.name === target.name)!
    await waitForCatchup(t.sql, future.replicas.map(subscriptionName), opts.timeoutMs)
    steps.verify(
      `${future.replicas.map(r => r.name).join(', ')} stream from ${target.name} and have applied its current LSN`,
    )
    return result(writePauseMs, future)
  } finally {
    await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 }))).catch(() => {})
  }
}

/** --dry-run: the SQL each step would run, in order, and nothing run. */
async function dryRunPlan(config: Config, future: Config, target: NodeSpec, steps: Steps): Promise<void> {
  const from = config.primary
  await sqlFile(
    from,
    '010_fence.sql',
    { marker: JSON.stringify({ from: from.name, to: target.name, at: '<now>' }), keep_pid: '<replkit>' },
    true,
  )
  console.log(
    `-- wait: every replica replays ${from.name}'s current LSN; checksums of ${config.tables.length} tables equal on every node; sequences raised`,
  )
  await dropSubscription(target, true)
  for (const r of future.replicas) {
    if (r.name !== from.name) await dropSubscription(r, true)
    await sqlFile(
      r,
      '020_subscribe_to_new_primary.sql',
      { subscription: subscriptionName(r), publication: config.publication, options: '<chosen per versions>' },
      true,
      { conninfo: '' },
    )
  }
  await sqlFile(target, '030_promote.sql', {}, true)
  await sqlFile(from, '040_demote.sql', { publication: config.publication }, true)
  steps.note('dry run: nothing was fenced, dropped or created')
}

/**
 * A switch a crash left part-way: the fence's marker is still on the old PRIMARY. When every other
 * node already subscribes to the target, finish it (promote, demote); otherwise undo it.
 */
async function recover(config: Config, steps: Steps, dryRun: boolean): Promise<boolean> {
  const marked = await fenceMarkers(config)
  if (!marked.length) return false
  const [{ node, marker }] = marked
  if (dryRun) {
    steps.warn(
      `${node.name} carries the marker of an unfinished switchover to ${marker.to} (${marker.at}): a real run finishes or undoes it first`,
    )
    return false
  }
  const target = findNode(config, marker.to)
  const nodes = await openAll(config)
  try {
    const moved = await Promise.all(
      nodes.filter(n => n.spec.name !== target.name).map(n => isSubscribedTo(n.sql, target)),
    )
    if (moved.every(Boolean)) {
      await sqlFile(target, '030_promote.sql', {}, false)
      await sqlFile(node, '040_demote.sql', { publication: config.publication }, false)
      await releaseClients(config, target)
      steps.ok(
        `finished the switchover to ${marker.to} that stopped part-way (${marker.at}): ${marker.to} is the PRIMARY`,
        true,
      )
    } else {
      await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 })))
      await rollBack(swapRoles(config, node), node, steps)
      await releaseClients(config, node)
      steps.ok(
        `undid the switchover to ${marker.to} that stopped part-way (${marker.at}): ${node.name} is the PRIMARY again`,
        true,
      )
    }
    return true
  } finally {
    await Promise.all(nodes.map(n => n.sql.end({ timeout: 1 }))).catch(() => {})
  }
}

/** After a crash part-way, PgBouncer may still hold its clients: point it at the PRIMARY and resume. */
async function releaseClients(config: Config, primary: NodeSpec): Promise<void> {
  if (!config.pgbouncer) return
  await pointClientsAt(config.pgbouncer, primary, primary)
  // RESUME of a database that is not paused is an error there, and harmless.
  await resumeClients(config.pgbouncer, primary).catch(() => {})
}

async function isSubscribedTo(sql: Sql, node: NodeSpec): Promise<boolean> {
  const rows =
    await sql`select subconninfo from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())`
  return rows.some(r => pointsAt(r.subconninfo, node))
}
