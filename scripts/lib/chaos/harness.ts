// What every fault drill of make chaos shares: connections to every node, waits, the proofs that
// nothing was lost (in-database checksums on every node, and the writer's client-side record of
// committed rows), make check afterwards, and the under-load shape of drills b and c. Drills call
// replkit's library in process, as the commands do.
import { type OpenNode, closeAll, opened } from '../node.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { verdictLine } from '../checks/format.js'
import { formatBytes } from '../output.js'
import { DEFAULT_CHECK, runCheck } from '../checks/run.js'
import { isLocalClusterNode } from '../cluster/local-cluster.js'
import type { Config, NodeSpec } from '../config.js'
import { connect } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { slotNames, subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'
import { runSqlFile } from '../sql-files.js'
import { compareWithPrimary } from '../sync/compare.js'
import { CHAOS_EMAIL, type WriterResult, startWriter, writerRowsOn } from './writer.js'
import { serverAccess } from '../cluster/access.js'

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

export const fail = (text: string) => {
  throw new ReplkitError(text, EXIT.failed)
}
export const ms = (since: number) => Math.round(performance.now() - since)

/**
 * The highest WAL any of the slots retained (restart_lsn) while the drill ran; survives a PRIMARY
 * restart. By default replkit's, under either name a resync alternates between.
 */
export function sampleRetainedWal(config: Config, slots = config.replicas.flatMap(slotNames)) {
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
  return {
    async stop() {
      running = false
      await loop
      return peak
    },
  }
}

/** The drills' cluster: the node objects of node.ts, with each replica's subscription. */
export interface Cluster {
  primary: OpenNode
  replicas: OpenNode[]
  subscriptions: string[]
}

export function open(config: Config): Cluster {
  return {
    primary: opened(config.primary, connect(config.primary)),
    replicas: config.replicas.map((r, i) => opened(r, connect(r), subscriptionName(config.replicas[i]))),
    subscriptions: config.replicas.map(subscriptionName),
  }
}

export async function close(c: Cluster): Promise<void> {
  await closeAll([c.primary, ...c.replicas])
}

/** Waits until every replica replayed the PRIMARY's current LSN; the time it took. */
export async function catchUp(c: Cluster, timeoutMs: number): Promise<number> {
  const started = performance.now()
  await waitForCatchup(c.primary.sql, c.subscriptions, timeoutMs)
  return ms(started)
}

/** Checksums of every replicated table equal on every node (compared with no writer running). */
export async function provenEqual(c: Cluster, config: Config, timeoutMs: number, proofs: string[]): Promise<void> {
  const eq = await compareWithPrimary(c.primary, c.replicas, config.tables, timeoutMs, config.publication)
  if (eq.differ.length)
    fail(`rows differ: ${eq.differ.map(d => `${d.table} on ${d.node} (${d.blocks} blocks)`).join(', ')}`)
  const unsettled = Object.keys(eq.unsettled)
  if (unsettled.length) fail(`the PRIMARY kept changing ${unsettled.join(', ')} with no writer running`)
  proofs.push(`checksums of ${config.tables.length} tables equal on all ${c.replicas.length + 1} nodes`)
}

/** Every row the writer committed is on every node, and every row it deleted is gone. */
export async function writerRowsEverywhere(c: Cluster, w: WriterResult, proofs: string[]): Promise<void> {
  for (const node of [c.primary, ...c.replicas]) {
    const { missing, resurrected } = await writerRowsOn(node.sql, w)
    if (missing || resurrected)
      fail(`${node.name}: ${missing} committed writer rows missing, ${resurrected} deleted rows present`)
  }
  proofs.push(
    `all ${w.live.length} rows the writer committed are on every node, none of its ${w.deleted.length} deleted rows is`,
  )
}

/** make check on the drill's cluster, as the command runs it (the local cluster's logs read directly). */
export const checkCluster = (config: Config) => runCheck(config, { ...DEFAULT_CHECK, servers: serverAccess(config) })

/** make check exits 0: the drill left the cluster replicated and healthy. */
export async function healthy(config: Config, proofs: string[]): Promise<void> {
  const report = await checkCluster(config)
  if (report.exitCode !== 0)
    fail(`make check is ${report.status} after the drill:\n${report.verdicts.map(verdictLine).join('\n')}`)
  proofs.push('make check: exit 0 afterwards')
}

/**
 * The apply workers count the lost connection to a restarting PRIMARY as apply errors
 * (pg_stat_subscription_stats is cumulative); once nothing lost is proven, clear them.
 */
export async function clearConnectionLossErrors(config: Config): Promise<void> {
  for (const replica of config.replicas) {
    await runSqlFile(replica, 'sql/conflict/020_reset_error_count.sql', {
      vars: { subscription: subscriptionName(replica) },
      dryRun: false,
    })
  }
}

export async function removeChaosRows(c: Cluster, timeoutMs: number): Promise<void> {
  await c.primary.sql`delete from public.orders where customer_email = ${CHAOS_EMAIL}`
  await catchUp(c, timeoutMs)
}

export const writerFigures = (w: WriterResult): Figures => ({
  'writer transactions': w.transactions,
  'writer tps': Math.round(w.transactions / w.seconds),
  'inserts/updates/deletes': `${w.inserts}/${w.updates}/${w.deletes}`,
  'writer retries': w.errors,
  'uncertain ids (left out)': w.uncertain,
})

export function requireLocal(config: Config, nodes: NodeSpec[]): string | undefined {
  const remote = nodes.filter(n => !isLocalClusterNode(config, n))
  return remote.length
    ? `${remote.map(n => n.name).join(', ')} not on the local cluster: this drill stops and starts servers`
    : undefined
}

/**
 * The shape of drills b and c: a writer loads the PRIMARY for a second, `fault` runs under that
 * load, the writer goes on a second more; then every replica must catch up, hold exactly the
 * PRIMARY's rows and every row the writer committed, and make check must pass.
 */
export async function underLoad(
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
    await healthy(config, proofs)
    return {
      proofs,
      figures: {
        ...writerFigures(stopped),
        ...figures,
        'writer stop → caught up ms': catchupMs,
        'peak retained WAL': formatBytes(await retained.stop()),
      },
    }
  } finally {
    if (!stopped) await writer.stop()
    await retained.stop()
    await removeChaosRows(c, timeoutMs).finally(() => close(c))
  }
}
