// Drill e: a replica in its own network namespace is cut off for 10 s under load, healed, caught
// up and proven equal; skipped with the reason where namespaces are unavailable.
import { setTimeout as sleep } from 'node:timers/promises'
import { formatBytes } from '../output.js'
import type { Config } from '../config.js'
import { connect } from '../db.js'
import { opened } from '../node.js'
import { waitForCatchup } from '../replication/waits.js'
import { waitReady } from '../sync/resync.js'
import { poll } from '../wait.js'
import {
  type Cluster,
  type Drill,
  type DrillOutcome,
  type Figures,
  clearConnectionLossErrors,
  close,
  fail,
  healthy,
  ms,
  open,
  provenEqual,
  removeChaosRows,
  requireLocal,
  sampleRetainedWal,
  writerFigures,
  writerRowsEverywhere,
} from './harness.js'
import { leftovers, startPartitionReplica } from './partition-replica.js'
import { type WriterResult, startWriter } from './writer.js'

const PARTITION_MS = 10_000

type NamespaceReplica = Exclude<Awaited<ReturnType<typeof startPartitionReplica>>, { unavailable: string }>

export const partition: Drill = {
  name: 'partition',
  title: 'e. a replica in its own network namespace is cut off for 10 s under load',
  async run({ config, timeoutMs, rate }): Promise<DrillOutcome> {
    const local = requireLocal(config, [config.primary])
    if (local) return { skipped: local, figures: {}, proofs: [] }
    const ns = await startPartitionReplica(config, timeoutMs)
    if ('unavailable' in ns)
      return {
        skipped: `${ns.unavailable}; this drill runs an extra replica in its own network namespace`,
        figures: {},
        proofs: [],
      }
    const c = open(config)
    const nsSql = connect(ns.spec)
    // The namespace replica joins the comparisons as one more node.
    const all: Cluster = {
      primary: c.primary,
      replicas: [...c.replicas, opened(ns.spec, nsSql, ns.subscription)],
      subscriptions: [...c.subscriptions, ns.subscription],
    }
    const proofs: string[] = []
    let figures: Figures
    try {
      const { copyMs } = await waitReady(c.primary.sql, nsSql, ns.spec, timeoutMs)
      proofs.push(
        `${ns.spec.name} at ${ns.spec.host} in namespace ${ns.net.namespace} subscribed to the PRIMARY at ${ns.net.hostAddress}; initial copy ready`,
      )
      const run = await partitionUnderLoad(config, c, ns, rate, timeoutMs, proofs)
      figures = {
        'rows written': run.written.inserts,
        ...writerFigures(run.written),
        'initial copy ms': copyMs,
        ...run.figures,
      }
      await provenEqual(all, config, timeoutMs, proofs)
      await writerRowsEverywhere(all, run.written, proofs)
    } finally {
      await nsSql.end({ timeout: 1 }).catch(() => {})
      await ns
        .remove()
        .finally(() => removeChaosRows(c, timeoutMs))
        .finally(() => close(c))
    }
    await nothingLeft(config, ns, proofs)
    return { proofs, figures }
  },
}

/** The writer runs while the link is cut for 10 s and healed; the replica then catches up. */
async function partitionUnderLoad(
  config: Config,
  c: Cluster,
  ns: NamespaceReplica,
  rate: number,
  timeoutMs: number,
  proofs: string[],
): Promise<{ written: WriterResult; figures: Figures }> {
  const writer = startWriter(config.primary, rate)
  let written: WriterResult | undefined
  const retained = sampleRetainedWal(config, [ns.subscription])
  try {
    await sleep(1000)
    const cut = await cutAndHeal(c, ns)
    proofs.push(
      `the PRIMARY's walsender for ${ns.subscription} ended ${cut.walsenderGoneMs} ms into the cut; the writer kept committing`,
    )
    const healed = performance.now()
    await waitForCatchup(c.primary.sql, [ns.subscription], timeoutMs)
    const catchupMs = ms(healed)
    const peak = await retained.stop()
    written = await writer.stop()
    const figures = {
      'partition ms': cut.partitionMs,
      'cut → walsender gone ms': cut.walsenderGoneMs,
      'peak retained WAL (slot restart_lsn)': formatBytes(peak),
      'heal → caught up ms': catchupMs,
    }
    return { written, figures }
  } finally {
    if (!written) await writer.stop()
    await retained.stop()
  }
}

/** The veth cut for 10 s; proven real by the PRIMARY giving up on the silent receiver (wal_sender_timeout). */
async function cutAndHeal(c: Cluster, ns: NamespaceReplica): Promise<{ partitionMs: number; walsenderGoneMs: number }> {
  const cutAt = performance.now()
  await ns.net.cut()
  let walsenderGone: number | undefined
  try {
    walsenderGone = await poll(
      async () => {
        const rows = await c.primary.sql`select 1 from pg_stat_replication where application_name = ${ns.subscription}`
        return rows.length ? undefined : ms(cutAt)
      },
      PARTITION_MS,
      100,
    )
    await sleep(Math.max(0, PARTITION_MS - ms(cutAt)))
  } finally {
    await ns.net.heal()
  }
  const partitionMs = ms(cutAt)
  if (walsenderGone === undefined)
    fail(`the PRIMARY kept streaming to ${ns.spec.name} through the whole cut: the link was not cut`)
  return { partitionMs, walsenderGoneMs: walsenderGone! }
}

/** Namespace, veth, node, slot, listen address and pg_hba line all gone, and the cluster healthy. */
async function nothingLeft(config: Config, ns: NamespaceReplica, proofs: string[]): Promise<void> {
  const left = await leftovers(config, ns)
  if (left.length) fail(`the drill left behind: ${left.join(', ')}`)
  proofs.push(
    "removed again: namespace, veth, node and its data, slot, the PRIMARY's extra listen address and pg_hba line",
  )
  // Exposing the PRIMARY on the veth, and taking it back, each took a restart.
  await clearConnectionLossErrors(config)
  await healthy(config, proofs)
}
