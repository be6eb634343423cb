// Canary propagation latency, stamped by the servers themselves: the ALWAYS trigger on products
// records each canary's arrival in replkit.canary_arrivals on every node (the PRIMARY at insert,
// a replica when its apply worker applies it). Latency = replica stamp − PRIMARY stamp, one
// machine, one clock; no client polling enters the figure.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Config } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { CANARY_PREFIX } from '../checks/canary.js'
import { subscriptionName } from '../replication/names.js'
import { waitForCatchup } from '../replication/waits.js'
import { cleanUp, insertCanary, runLoad } from '../checks/verification.js'
import { type Distribution, distribution } from './stats.js'

export interface LatencyRun {
  canaries: number
  spacingMs: number
  /** Per replica: every canary's latency in ms, in insert order. */
  samples: Record<string, number[]>
  summary: Record<string, Distribution>
}

export interface LoadedLatencyRun extends LatencyRun {
  load: { rate: number; seconds: number; transactions: number; tps: number }
}

export interface LatencyOptions {
  canaries: number
  spacingMs: number
  loadRate: number
}

/** Each node's canary stamps for one run, as epoch seconds (float8 keeps microseconds at this magnitude). */
async function stamps(sql: Sql, prefix: string): Promise<Map<string, number>> {
  const rows =
    await sql`select sku, extract(epoch from arrived_at)::float8 as t from replkit.canary_arrivals where sku like ${`${prefix}%`}`
  return new Map(rows.map(r => [r.sku as string, r.t as number]))
}

async function canaryRun(
  config: Config,
  primary: Sql,
  replicas: Sql[],
  label: string,
  opts: LatencyOptions,
): Promise<LatencyRun> {
  const run = `bench-${label}-${Date.now()}`
  const prefix = `${CANARY_PREFIX}${run}-`
  for (let i = 0; i < opts.canaries; i++) {
    await insertCanary(primary, `${run}-${i}`)
    await sleep(opts.spacingMs)
  }
  await waitForCatchup(primary, config.replicas.map(subscriptionName), 60_000)
  const sent = await stamps(primary, prefix)
  const samples: Record<string, number[]> = {}
  for (const [i, replica] of config.replicas.entries()) {
    const arrived = await stamps(replicas[i], prefix)
    if (arrived.size !== sent.size)
      throw new ReplkitError(`bench: ${replica.name} stamped ${arrived.size} of ${sent.size} canaries`)
    samples[replica.name] = [...sent].map(([sku, t]) => (arrived.get(sku)! - t) * 1000)
  }
  const summary = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, distribution(values)]))
  return { canaries: sent.size, spacingMs: opts.spacingMs, samples, summary }
}

/**
 * Canaries on an idle cluster, then the same number under a pgbench load of order inserts at
 * opts.loadRate tx/s. Canary rows, load rows and every node's stamps are removed afterwards.
 */
export async function canaryLatency(
  config: Config,
  primary: Sql,
  replicas: Sql[],
  opts: LatencyOptions,
): Promise<{ idle: LatencyRun; load: LoadedLatencyRun }> {
  try {
    const idle = await canaryRun(config, primary, replicas, 'idle', opts)
    // The load must outlast the canaries: ~2 ms per insert on top of the spacing, a second to
    // warm up before the first, and a margin after the last.
    const seconds = Math.ceil((opts.canaries * (opts.spacingMs + 2)) / 1000) + 3
    const load = runLoad(config, seconds, opts.loadRate)
    await sleep(1000)
    const loaded = await canaryRun(config, primary, replicas, 'load', opts)
    const result = await load
    return { idle, load: { ...loaded, load: { rate: opts.loadRate, seconds, ...result } } }
  } finally {
    await cleanUp(primary, [primary, ...replicas])
  }
}
