// make switchover as one library call: a replica becomes the PRIMARY with nothing lost, and the
// old PRIMARY and the other replicas subscribe to it from exactly the fenced point (no copy). In
// order: preflight (read-only) → prepare the target to publish (its wal_level, role, pg_hba,
// publication: safe while it is still a replica) → every table proven equal at an LSN, under live
// writes → fence the PRIMARY → every replica applies its last LSN, no apply error or conflict since
// the proof → sequences raised → a slot reserved on the target for each follower → the target
// takes writes → (the pause ends) every other node subscribes on its slot → the old PRIMARY
// stops publishing. A failure before the target takes
// writes puts every subscription back on the old PRIMARY and unfences it (exit 2); a re-run after
// a crash finds the fence's marker and finishes or undoes the switch first.
import { type OpenNode, closeAll } from '../node.js'
import { dryRunSql } from '../output.js'
import type { Config, NodeSpec } from '../config.js'
import { findNode } from '../config.js'
import { type Sql, majorOf, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { runSqlFile } from '../sql-files.js'
import { Steps } from '../steps.js'
import { runCheck, DEFAULT_CHECK } from '../checks/run.js'
import { subscriptionName } from '../replication/names.js'
import { replicatorPassword } from '../replication/password.js'
import { preflight } from '../replication/preflight.js'
import { swapRoles, fromCatalogues } from '../replication/roles.js'
import * as setup from '../replication/setup.js'
import { waitForApplied } from '../replication/waits.js'
import type { SwitchoverOptions } from './options.js'
import { applyCounters, dropSubscription, followTarget, openAll, proveEqualBeforeFence, sqlFile } from './nodes.js'
import { movePrimary } from './pause.js'
import { recover } from './rollback.js'

export interface SwitchoverResult {
  steps: Steps
  from: string
  to: string
  /** The fence (first refused write) to the target taking writes; null on a dry run or when nothing was done. */
  writePauseMs: number | null
  /** The proof that every node is equal, before the fence (under live writes, outside the pause: it grows with the tables). */
  proofMs: number | null
  totalMs: number
  /** The new PRIMARY, safe to print (no password). */
  primaryLabel: string
  /** The configuration as it is now (roles moved), for --write-env and the caller. */
  config: Config
}

/** Read-only: everything that must hold before anything changes; throws naming each problem. */
async function checkReady(config: Config, target: NodeSpec, opts: SwitchoverOptions, steps: Steps): Promise<void> {
  const report = await runCheck(config, { ...DEFAULT_CHECK, servers: opts.servers })
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
    copyPartMb: 128,
    password,
    // The target is still a replica: restarting it is part of the switchover confirmed with --yes.
    restartPrimary: true,
    servers: opts.servers,
  }
  await setup.walLevel(c, facts)
  await setup.role(c, targetSql)
  await setup.hba(c)
  setup.tls(c, facts)
  await setup.publication(c, targetSql)
}

export async function switchover(
  configured: Config,
  opts: SwitchoverOptions,
  steps = new Steps(),
): Promise<SwitchoverResult> {
  const started = performance.now()
  let config = await fromCatalogues(configured)
  if (await recover(config, steps, opts.dryRun)) config = await fromCatalogues(configured)
  const target = findNode(config, opts.to)
  const from = config.primary
  const result = (times: { writePauseMs: number; proofMs: number } | null, now: Config): SwitchoverResult => ({
    steps,
    from: from.name,
    to: target.name,
    writePauseMs: times?.writePauseMs ?? null,
    proofMs: times?.proofMs ?? null,
    totalMs: performance.now() - started,
    primaryLabel: now.primary.label,
    config: now,
  })
  if (target.name === from.name) {
    steps.ok(`${target.name} is the PRIMARY already (from the catalogues): nothing to switch`, false)
    return result(null, config)
  }
  const password = await replicatorPassword(config)
  const future = swapRoles(config, target)
  await checkReady(config, target, opts, steps)
  let nodes = await openAll(config)
  try {
    await prepareTarget(future, nodes.find(n => n.spec.name === target.name)!.sql, opts, steps, password)
    // Preparing may have restarted the target (wal_level): reconnect.
    await closeAll(nodes)
    nodes = await openAll(config)
    if (opts.dryRun) {
      await dryRunPlan(config, future, target, steps)
      return result(null, config)
    }
    const proof = await proveBeforeFence(config, nodes, opts, steps)
    const writePauseMs = await movePrimary({ ...proof, config, future, from, target, nodes, opts, steps, password })
    const times = { writePauseMs, proofMs: proof.proofMs }
    opts.afterStep?.('promoted')
    await follow(future, target, nodes, password, steps)
    opts.afterStep?.('subscribed')
    await demote(config, future, target, nodes, opts, steps)
    return result(times, future)
  } finally {
    await closeAll(nodes)
  }
}

/**
 * Before the fence, while clients still write: every table proven equal at an LSN the replicas
 * reached, so the pause only waits for the replicas to apply the fenced PRIMARY's last commit.
 * The subscription counters are read first: the pause refuses any change to them since.
 */
async function proveBeforeFence(
  config: Config,
  nodes: OpenNode[],
  opts: SwitchoverOptions,
  steps: Steps,
): Promise<{ proofMs: number; counters: string[] }> {
  const started = performance.now()
  const counters = await applyCounters(nodes)
  await proveEqualBeforeFence(config, nodes, opts.timeoutMs)
  const proofMs = performance.now() - started
  steps.verify(
    `${config.tables.length} tables equal on ${nodes.length} nodes at an LSN every replica reached, compared under live writes before the fence (${Math.round(proofMs)} ms)`,
  )
  return { proofMs, counters }
}

/** After the promote, outside the pause: every other node subscribes on the slot the pause reserved for it. */
async function follow(future: Config, target: NodeSpec, nodes: OpenNode[], password: string, steps: Steps) {
  const t = nodes.find(n => n.spec.name === target.name)!
  await followTarget(
    future,
    t,
    nodes.filter(n => n !== t),
    password,
    steps,
  )
}

/** After the promote: the old PRIMARY stops publishing, and every replica streams from the new one. */
async function demote(
  config: Config,
  future: Config,
  target: NodeSpec,
  nodes: OpenNode[],
  opts: SwitchoverOptions,
  steps: Steps,
): Promise<void> {
  await sqlFile(config.primary, '040_demote.sql', { publication: config.publication }, false)
  steps.ok(`${config.primary.name}: publishes no more; stays read-only for clients as a replica`, true)
  const t = nodes.find(n => n.spec.name === target.name)!
  const followers = future.replicas.map(r => ({
    sql: nodes.find(n => n.spec.name === r.name)!.sql,
    subscription: subscriptionName(r),
  }))
  await waitForApplied(t.sql, followers, opts.timeoutMs)
  steps.verify(
    `${future.replicas.map(r => r.name).join(', ')} stream from ${target.name} and have applied its current LSN`,
  )
}

/** --dry-run: the SQL each step would run, in order, and nothing run. */
async function dryRunPlan(config: Config, future: Config, target: NodeSpec, steps: Steps): Promise<void> {
  const from = config.primary
  dryRunSql.print(
    `-- before the fence, under live writes: ${config.tables.length} tables compared at an LSN every replica reached (as make check compares); any difference refuses the switch`,
  )
  await sqlFile(
    from,
    '010_fence.sql',
    { marker: JSON.stringify({ from: from.name, to: target.name, at: '<now>' }), keep_pid: '<replkit>' },
    true,
  )
  dryRunSql.print(
    `-- wait: every replica applies ${from.name}'s current LSN; no subscription counted an apply error or a conflict since the comparison; sequences raised`,
  )
  await dropSubscription(target, true)
  for (const r of future.replicas)
    await runSqlFile(target, 'sql/switchover/025_reserve_slot.sql', { vars: { $1: subscriptionName(r) }, dryRun: true })
  await runSqlFile(target, 'sql/switchover/030_promote.sql', { dryRun: true })
  dryRunSql.print(`-- the pause ends: ${target.name} takes writes; every other node moves to the slot reserved for it`)
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
  await sqlFile(from, '040_demote.sql', { publication: config.publication }, true)
  steps.note('dry run: nothing was fenced, dropped or created')
}
