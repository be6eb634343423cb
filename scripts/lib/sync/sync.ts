// make sync as a library call: resynchronise replicas (or one table on one replica) from the
// PRIMARY under live writes, then prove equality with checksums.
import type { Config, NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { subscriptionName } from '../replication/names.js'
import { Steps } from '../steps.js'
import { compareWithPrimary, reportEquality } from './compare.js'
import { requirePublication, resyncReplica } from './resync.js'
import { resyncTable } from './resync-table.js'

export interface SyncOptions {
  replica?: string
  table?: string
  dryRun: boolean
  timeoutMs: number
}

/** The replicas a sync targets; refuses a table that is not replicated or given without --replica. */
export function syncTargets(config: Config, opts: SyncOptions): NodeSpec[] {
  if (opts.table !== undefined && !opts.replica) throw new ReplkitError('--table needs --replica NAME: a table is resynced on one replica at a time')
  if (opts.table !== undefined && !config.tables.includes(opts.table)) {
    throw new ReplkitError(`--table ${opts.table}: not a replicated table (${config.tables.join(', ')})`)
  }
  if (!opts.replica) return config.replicas
  const replica = config.replicas.find(r => r.name === opts.replica)
  if (!replica) throw new ReplkitError(`--replica ${opts.replica}: not a replica (replicas: ${config.replicas.map(r => r.name).join(', ')})`)
  return [replica]
}

export async function syncReplicas(config: Config, opts: SyncOptions, steps = new Steps()): Promise<Steps> {
  const targets = syncTargets(config, opts)
  await withNode(config.primary, async primary => {
    await requirePublication(config, primary)
    for (const replica of targets) {
      await withNode(replica, async sql => {
        const say = (text: string) => steps.ok(opts.dryRun ? `would: ${text}` : text, true)
        const run = { dryRun: opts.dryRun, timeoutMs: opts.timeoutMs, say }
        const times = opts.table !== undefined
          ? await resyncTable(config, replica, opts.table, primary, sql, run)
          : await resyncReplica(config, replica, primary, sql, run)
        if (!times) return
        steps.verify(`${replica.name}: every table ready after ${times.copyMs} ms, caught up with the PRIMARY ${times.catchupMs} ms later`)
        const tables = opts.table !== undefined ? [opts.table] : config.tables
        reportEquality(steps, replica.name, await compareWithPrimary(
          { name: config.primary.name, sql: primary, spec: config.primary },
          [{ name: replica.name, sql, spec: replica, subscription: subscriptionName(replica) }], tables, opts.timeoutMs))
      })
    }
  })
  return steps
}
