// The fault drills of make chaos, each bounded in time, each printing its figures, each leaving
// the cluster replicated and healthy. They drive replkit's own commands (check-replication,
// sync-replicas, fix-conflict) as an operator would, and prove "nothing lost" with the
// writer's client-side record of committed rows plus in-database checksums on every node.
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { $ } from 'zx'
import { type Config, type NodeSpec, repoRoot } from '../config.js'
import { type Sql, connect } from '../db.js'
import { CHAOS_EMAIL, type WriterResult, startWriter, writerRowsOn } from './writer.js'
import { formatBytes } from '../checks/verdicts.js'
import { ReplkitError } from '../errors.js'
import { isLocalClusterNode, localNode, nodeState, restartNode, startNode, stopNode } from '../cluster/local-cluster.js'
import { leftovers, startPartitionReplica } from './partition-replica.js'
import { poll } from '../wait.js'
import { subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'
import { compareWithPrimary, waitReady } from '../sync/resync.js'
import { runSqlFile } from '../sql-files.js'

export type Figures = Record<string, string | number>

export interface DrillOutcome {
  skipped?: string
  figures: Figures
  /** What was proven, one line each. */
  proofs: string[]
}

export interface DrillContext {
  config: Config
  timeoutMs: number
  /** Writer rate for the drills under load. */
  rate: number
}

export interface Drill {
  name: string
  title: string
  run(ctx: DrillContext): Promise<DrillOutcome>
}

const fail = (text: string) => { throw new ReplkitError(text, 2) }
const ms = (since: number) => Math.round(performance.now() - since)

export async function runTool(name: string, args: string[]): Promise<{ code: number; stdout: string }> {
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true, env: { ...process.env, NO_COLOR: '1' } })`${join(repoRoot, 'node_modules/.bin/tsx')} ${join(repoRoot, 'scripts', `${name}.ts`)} ${args}`
  return { code: result.exitCode ?? -1, stdout: result.stdout + result.stderr }
}

/** The highest WAL any of the slots (replkit's by default) retained (restart_lsn) while the drill ran; survives a PRIMARY restart. */
function sampleRetainedWal(config: Config, slots = config.replicas.map(subscriptionName)) {
  let peak = 0
  let running = true
  const loop = (async () => {
    const sql = connect(config.primary, { connectTimeoutSeconds: 1 })
    try {
      while (running) {
        try {
          const [{ bytes }] = await sql`
            select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)), 0)::int8 as bytes
            from pg_replication_slots where slot_name = any(${slots})`
          peak = Math.max(peak, Number(bytes))
        } catch {
          // the PRIMARY is restarting: sample again shortly
        }
        await sleep(100)
      }
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {})
    }
  })()
  return { async stop() { running = false; await loop; return peak } }
}

interface Cluster { primary: Sql; replicas: { name: string; sql: Sql }[]; subscriptions: string[] }

function open(config: Config): Cluster {
  return {
    primary: connect(config.primary),
    replicas: config.replicas.map(r => ({ name: r.name, sql: connect(r) })),
    subscriptions: config.replicas.map(subscriptionName),
  }
}

async function close(c: Cluster): Promise<void> {
  await Promise.all([c.primary, ...c.replicas.map(r => r.sql)].map(s => s.end({ timeout: 1 }).catch(() => {})))
}

/** Waits until every replica replayed the PRIMARY's current LSN; the time it took. */
async function catchUp(c: Cluster, timeoutMs: number): Promise<number> {
  const started = performance.now()
  await waitForCatchup(c.primary, c.subscriptions, timeoutMs)
  return ms(started)
}

/** Checksums of every replicated table equal on every node (compared with no writer running). */
async function provenEqual(c: Cluster, config: Config, timeoutMs: number, proofs: string[]): Promise<void> {
  const eq = await compareWithPrimary(c.primary, c.replicas, c.subscriptions, config.tables, timeoutMs)
  if (eq.differ.length) fail(`checksums differ: ${eq.differ.map(d => `${d.table} on ${d.node} (${d.replica} vs ${d.primary})`).join(', ')}`)
  if (eq.unsettled.length) fail(`the PRIMARY kept changing ${eq.unsettled.join(', ')} with no writer running`)
  proofs.push(`checksums of ${config.tables.length} tables equal on all ${c.replicas.length + 1} nodes`)
}

/** Every row the writer committed is on every node, and every row it deleted is gone. */
async function writerRowsEverywhere(c: Cluster, w: WriterResult, proofs: string[]): Promise<void> {
  for (const node of [{ name: 'primary', sql: c.primary }, ...c.replicas]) {
    const { missing, resurrected } = await writerRowsOn(node.sql, w)
    if (missing || resurrected) fail(`${node.name}: ${missing} committed writer rows missing, ${resurrected} deleted rows present`)
  }
  proofs.push(`all ${w.live.length} rows the writer committed are on every node, none of its ${w.deleted.length} deleted rows is`)
}

/** make check exits 0: the drill left the cluster replicated and healthy. */
async function healthy(proofs: string[]): Promise<void> {
  const check = await runTool('check-replication', [])
  if (check.code !== 0) fail(`make check exits ${check.code} after the drill:\n${check.stdout}`)
  proofs.push('make check: exit 0 afterwards')
}

/**
 * The apply workers count the lost connection to a restarting PRIMARY as apply errors
 * (pg_stat_subscription_stats is cumulative); once nothing lost is proven, clear them.
 */
async function clearConnectionLossErrors(config: Config): Promise<void> {
  for (const replica of config.replicas) {
    await runSqlFile(replica, 'sql/conflict/020_reset_error_count.sql', { vars: { subscription: subscriptionName(replica) }, dryRun: false })
  }
}

async function removeChaosRows(c: Cluster, timeoutMs: number): Promise<void> {
  await c.primary`delete from public.orders where customer_email = ${CHAOS_EMAIL}`
  await catchUp(c, timeoutMs)
}

const writerFigures = (w: WriterResult): Figures => ({
  'writer transactions': w.transactions, 'writer tps': Math.round(w.transactions / w.seconds),
  'inserts/updates/deletes': `${w.inserts}/${w.updates}/${w.deletes}`, 'writer retries': w.errors, 'uncertain ids (left out)': w.uncertain,
})

function requireLocal(config: Config, nodes: NodeSpec[]): string | undefined {
  const remote = nodes.filter(n => !isLocalClusterNode(config, n))
  return remote.length ? `${remote.map(n => n.name).join(', ')} not on the local cluster: this drill stops and starts servers` : undefined
}

const replicaDown: Drill = {
  name: 'replica-down',
  title: 'a. a replica is down while the PRIMARY takes 10,000 orders',
  async run({ config, timeoutMs }): Promise<DrillOutcome> {
    const victim = config.replicas[config.replicas.length - 1]
    const skipped = requireLocal(config, [victim])
    if (skipped) return { skipped, figures: {}, proofs: [] }
    const c = open(config)
    const proofs: string[] = []
    const retained = sampleRetainedWal(config)
    try {
      await stopNode(config, localNode(config, victim))
      const writing = performance.now()
      await c.primary`insert into public.orders (customer_email, total) select ${CHAOS_EMAIL}, g % 100 from generate_series(1, 10000) g`
      const writeMs = ms(writing)
      const check = await runTool('check-replication', ['--json'])
      const report = JSON.parse(check.stdout.slice(check.stdout.indexOf('{')))
      const down = report.verdicts.find((v: { problem: string }) => v.problem.startsWith(`${victim.name} is down`))
      const slot = report.facts.primary.slots.find((s: { name: string }) => s.name === subscriptionName(victim))
      if (check.code !== 2 || !down || !slot) fail(`make check did not report ${victim.name} down with exit 2 and its slot (exit ${check.code})`)
      proofs.push(`make check: exit 2, "${down.problem.split(':')[0]}", slot ${slot.name} retains ${formatBytes(slot.retainedBytes)}`)
      const starting = performance.now()
      await startNode(config, localNode(config, victim))
      await catchUp(c, timeoutMs)
      const catchupMs = ms(starting)
      await provenEqual(c, config, timeoutMs, proofs)
      await healthy(proofs)
      return {
        proofs,
        figures: { 'rows written': 10000, 'write ms': writeMs, 'slot retained WAL at check': formatBytes(slot.retainedBytes), 'start → caught up ms': catchupMs, 'peak retained WAL': formatBytes(await retained.stop()) },
      }
    } finally {
      await retained.stop()
      if ((await nodeState(config, localNode(config, victim))) !== 'running') await startNode(config, localNode(config, victim))
      await removeChaosRows(c, timeoutMs).finally(() => close(c))
    }
  },
}

/**
 * The shape of drills b and c: a writer loads the PRIMARY for a second, `fault` runs under that
 * load, the writer goes on a second more; then every replica must catch up, hold exactly the
 * PRIMARY's rows and every row the writer committed, and make check must pass.
 */
async function underLoad(
  { config, timeoutMs, rate }: DrillContext,
  fault: (c: Cluster, proofs: string[]) => Promise<Record<string, string | number>>,
  beforeHealthCheck: () => Promise<void> = async () => {},
): Promise<DrillOutcome> {
  const c = open(config)
  const proofs: string[] = []
  const retained = sampleRetainedWal(config)
  const writer = startWriter(config.primary, rate)
  let stopped: WriterResult | undefined
  try {
    await sleep(1000)
    const figures = await fault(c, proofs)
    await sleep(1000)
    stopped = await writer.stop()
    const catchupMs = await catchUp(c, timeoutMs)
    await provenEqual(c, config, timeoutMs, proofs)
    await writerRowsEverywhere(c, stopped, proofs)
    await beforeHealthCheck()
    await healthy(proofs)
    return { proofs, figures: { ...writerFigures(stopped), ...figures, 'writer stop → caught up ms': catchupMs, 'peak retained WAL': formatBytes(await retained.stop()) } }
  } finally {
    if (!stopped) await writer.stop()
    await retained.stop()
    await removeChaosRows(c, timeoutMs).finally(() => close(c))
  }
}

const resyncUnderLoad: Drill = {
  name: 'resync-under-load',
  title: 'b. make sync --replica replica1 while a writer inserts, updates and deletes',
  run: context => underLoad(context, async (_c, proofs) => {
    const target = context.config.replicas[0]
    const resyncing = performance.now()
    const sync = await runTool('sync-replicas', ['--replica', target.name, '--yes'])
    const resyncMs = ms(resyncing)
    // 0, or 1 when the writer kept orders changing so sync could not compare it at a quiet moment.
    if (sync.code > 1) fail(`make sync failed (exit ${sync.code}):\n${sync.stdout}`)
    proofs.push(`make sync --replica ${target.name}: exit ${sync.code}, copy and catch-up done under load`)
    return { 'resync ms': resyncMs }
  }),
}

const primaryRestart: Drill = {
  name: 'primary-restart',
  title: 'c. the PRIMARY restarts (fast) under load',
  async run(context): Promise<DrillOutcome> {
    const { config, timeoutMs } = context
    const skipped = requireLocal(config, [config.primary])
    if (skipped) return { skipped, figures: {}, proofs: [] }
    return underLoad(context, async (c, proofs) => {
      const restarting = performance.now()
      await restartNode(config, localNode(config, config.primary))
      const restartMs = ms(restarting)
      const reconnected = await poll(async () => {
        const rows = await c.primary`select count(*)::int as n from pg_stat_replication where application_name = any(${c.subscriptions})`.catch(() => [{ n: 0 }])
        return rows[0].n === c.subscriptions.length ? ms(restarting) : undefined
      }, timeoutMs, 50)
      if (reconnected === undefined) fail(`the subscriptions did not reconnect within ${timeoutMs / 1000} s of the restart`)
      proofs.push(`every subscription reconnected by itself, ${reconnected} ms after the restart began`)
      return { 'restart ms': restartMs, 'restart → walsenders back ms': reconnected! }
    }, () => clearConnectionLossErrors(config))
  },
}

const conflict: Drill = {
  name: 'conflict',
  title: 'd. a product inserted on a replica, then on the PRIMARY with the same sku',
  async run({ config, timeoutMs }): Promise<DrillOutcome> {
    const target = config.replicas[0]
    const c = open(config)
    const proofs: string[] = []
    const sku = `REPLKIT-CHAOS-${Date.now()}`
    const replicaSql = c.replicas[0].sql
    try {
      await replicaSql`insert into public.products (sku, title, price, category_id) select ${sku}, 'on the replica only', 1, id from public.categories order by slug limit 1`
      const inserting = performance.now()
      await c.primary`insert into public.products (sku, title, price, category_id) select ${sku}, 'on the primary', 2, id from public.categories order by slug limit 1`
      const stopped = await poll(async () => {
        const [row] = await replicaSql`select apply_error_count::int as n from pg_stat_subscription_stats where subname = ${subscriptionName(target)}`
        return row?.n > 0 ? ms(inserting) : undefined
      }, timeoutMs)
      if (stopped === undefined) fail(`${target.name}'s apply worker did not fail on the duplicate sku`)
      const check = await runTool('check-replication', ['--json'])
      const report = JSON.parse(check.stdout.slice(check.stdout.indexOf('{')))
      if (check.code !== 2 || !report.verdicts.some((v: { problem: string }) => /apply error/.test(v.problem))) fail(`make check did not report the apply error with exit 2 (exit ${check.code})`)
      proofs.push('make check: exit 2 with the apply-errors verdict')
      const shown = await runTool('fix-conflict', ['--replica', target.name])
      const lsn = /finish LSN:\s+([0-9A-F]+\/[0-9A-F]+)/.exec(shown.stdout)?.[1]
      if (shown.code !== 2 || !shown.stdout.includes(`Key (sku)=(${sku}) already exists`) || !lsn) fail(`fix-conflict did not name the key and LSN (exit ${shown.code}):\n${shown.stdout}`)
      proofs.push(`make fix-conflict: exit 2, names Key (sku)=(${sku}) and finish LSN ${lsn}, changes nothing without a choice`)
      const repairing = performance.now()
      const repaired = await runTool('fix-conflict', ['--replica', target.name, '--resync', '--yes'])
      if (repaired.code !== 0) fail(`fix-conflict --resync --yes failed (exit ${repaired.code}):\n${repaired.stdout}`)
      const repairMs = ms(repairing)
      await provenEqual(c, config, timeoutMs, proofs)
      await healthy(proofs)
      return { proofs, figures: { 'conflict → apply error seen ms': stopped!, 'finish LSN': lsn!, 'repair (resync) ms': repairMs } }
    } finally {
      await c.primary`delete from public.products where sku = ${sku}`.catch(() => {})
      await catchUp(c, timeoutMs).catch(() => {})
      await close(c)
    }
  },
}

const PARTITION_MS = 10_000

const partition: Drill = {
  name: 'partition',
  title: 'e. a replica in its own network namespace is cut off for 10 s under load',
  async run({ config, timeoutMs, rate }): Promise<DrillOutcome> {
    const local = requireLocal(config, [config.primary])
    if (local) return { skipped: local, figures: {}, proofs: [] }
    const ns = await startPartitionReplica(config, timeoutMs)
    if ('unavailable' in ns) return { skipped: `${ns.unavailable}; this drill runs an extra replica in its own network namespace`, figures: {}, proofs: [] }
    const c = open(config)
    const nsSql = connect(ns.spec)
    // The namespace replica joins the comparisons as one more node.
    const all: Cluster = { primary: c.primary, replicas: [...c.replicas, { name: ns.spec.name, sql: nsSql }], subscriptions: [...c.subscriptions, ns.subscription] }
    const proofs: string[] = []
    let figures: Figures
    try {
      const { copyMs } = await waitReady(c.primary, nsSql, ns.spec, timeoutMs)
      proofs.push(`${ns.spec.name} at ${ns.spec.host} in namespace ${ns.net.namespace} subscribed to the PRIMARY at ${ns.net.hostAddress}; initial copy ready`)
      const writer = startWriter(config.primary, rate)
      let stopped: WriterResult | undefined
      const retained = sampleRetainedWal(config, [ns.subscription])
      try {
        await sleep(1000)
        const cutAt = performance.now()
        await ns.net.cut()
        let walsenderGone: number | undefined
        try {
          // The cut is real when the PRIMARY gives up on the silent receiver (wal_sender_timeout).
          walsenderGone = await poll(async () => {
            const rows = await c.primary`select 1 from pg_stat_replication where application_name = ${ns.subscription}`
            return rows.length ? undefined : ms(cutAt)
          }, PARTITION_MS, 100)
          await sleep(Math.max(0, PARTITION_MS - ms(cutAt)))
        } finally {
          await ns.net.heal()
        }
        const partitionMs = ms(cutAt)
        if (walsenderGone === undefined) fail(`the PRIMARY kept streaming to ${ns.spec.name} through the whole cut: the link was not cut`)
        proofs.push(`the PRIMARY's walsender for ${ns.subscription} ended ${walsenderGone} ms into the cut; the writer kept committing`)
        const healed = performance.now()
        await waitForCatchup(c.primary, [ns.subscription], timeoutMs)
        const catchupMs = ms(healed)
        const peak = await retained.stop()
        stopped = await writer.stop()
        figures = {
          'rows written': stopped.inserts, ...writerFigures(stopped), 'initial copy ms': copyMs, 'partition ms': partitionMs,
          'cut → walsender gone ms': walsenderGone!, 'peak retained WAL (slot restart_lsn)': formatBytes(peak), 'heal → caught up ms': catchupMs,
        }
      } finally {
        if (!stopped) await writer.stop()
        await retained.stop()
      }
      await provenEqual(all, config, timeoutMs, proofs)
      await writerRowsEverywhere(all, stopped, proofs)
    } finally {
      await nsSql.end({ timeout: 1 }).catch(() => {})
      await ns.remove().finally(() => removeChaosRows(c, timeoutMs)).finally(() => close(c))
    }
    const left = await leftovers(config, ns)
    if (left.length) fail(`the drill left behind: ${left.join(', ')}`)
    proofs.push('removed again: namespace, veth, node and its data, slot, the PRIMARY\'s extra listen address and pg_hba line')
    // Exposing the PRIMARY on the veth, and taking it back, each took a restart.
    await clearConnectionLossErrors(config)
    await healthy(proofs)
    return { proofs, figures }
  },
}

export const DRILLS: Drill[] = [replicaDown, resyncUnderLoad, primaryRestart, conflict, partition]
