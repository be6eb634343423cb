// make sync as a library call: bring replicas (or one table on one replica) back to the PRIMARY's
// rows under live writes — by repairing the differing rows when they are few and the subscription
// streams, by copying every table again in one transaction otherwise (sync/choose.ts says which
// and why; one table alone is only ever repaired) — then prove equality at an LSN each replica
// reached.
import { opened } from '../node.js'
import { type Config, type NodeSpec, replicatedTable } from '../config.js'
import { withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { subscriptionName } from '../replication/names.js'
import { Steps } from '../steps.js'
import { REPAIR_LIMIT, chooseForReplica } from './choose.js'
import { compareWithPrimary, reportEquality } from './compare.js'
import { repairOn } from '../repair/replica.js'
import { requirePublication, resyncReplica } from './resync.js'

export interface SyncOptions {
  replica?: string
  table?: string
  dryRun: boolean
  timeoutMs: number
  /** Copy every table again even when a repair of the differing rows would do. */
  copy?: boolean
}

/** The replicas a sync targets; refuses a table that is not replicated or given without --replica. */
export function syncTargets(config: Config, opts: SyncOptions): NodeSpec[] {
  if (opts.table !== undefined && !opts.replica)
    throw new ReplkitError('--table needs --replica NAME: a table is repaired on one replica at a time')
  if (opts.table !== undefined) replicatedTable(config, opts.table, '--table')
  if (!opts.replica) return config.replicas
  const replica = config.replicas.find(r => r.name === opts.replica)
  if (!replica)
    throw new ReplkitError(
      `--replica ${opts.replica}: not a replica (replicas: ${config.replicas.map(r => r.name).join(', ')})`,
    )
  return [replica]
}

/**
 * One table copied alone, beside a subscription that streams the others, cannot be undone if the
 * copy fails half-way (it was emptied first): refused, nothing written, with the atomic commands.
 */
function tableCopyRefused(replica: NodeSpec, table: string, because: string): ReplkitError {
  return new ReplkitError(
    `--table ${table} on ${replica.name} needs a copy (${because}), and one table copied alone could be left empty if the copy failed; nothing was changed. ` +
      `make sync ARGS="--replica ${replica.name} --yes" copies every table again in one transaction (a failure leaves ${replica.name} as it was)`,
    EXIT.failed,
  )
}

export async function syncReplicas(config: Config, opts: SyncOptions, steps = new Steps()): Promise<Steps> {
  const targets = syncTargets(config, opts)
  await withNode(config.primary, async primary => {
    await requirePublication(config, primary)
    for (const replica of targets) {
      await withNode(replica, async sql => {
        const tables = opts.table !== undefined ? [opts.table] : config.tables
        const p = opened(config.primary, primary)
        const r = opened(replica, sql, subscriptionName(replica))
        const choice = await chooseForReplica(p, r, tables, opts.copy ?? false, opts.timeoutMs, config.publication)
        steps.note(`${replica.name}: ${choice.why}`)
        if (choice.method === 'none') return
        if (choice.method === 'repair') {
          const differing = tables.filter(t => choice.compared[t].differences?.length)
          await repairOn(
            config,
            replica,
            primary,
            sql,
            differing,
            { dryRun: opts.dryRun, batchSize: 500, maxRows: REPAIR_LIMIT, timeoutMs: opts.timeoutMs },
            steps,
            choice.compared,
          )
          return
        }
        if (opts.table !== undefined) throw tableCopyRefused(replica, opts.table, choice.copyBecause ?? choice.why)
        const say = (text: string) => steps.ok(opts.dryRun ? `would: ${text}` : text, true)
        const times = await resyncReplica(config, replica, primary, sql, {
          dryRun: opts.dryRun,
          timeoutMs: opts.timeoutMs,
          say,
        })
        if (!times) return
        steps.verify(
          `${replica.name}: every table ready after ${times.copyMs} ms, caught up with the PRIMARY ${times.catchupMs} ms later`,
        )
        reportEquality(
          steps,
          replica.name,
          await compareWithPrimary(
            opened(config.primary, primary),
            [opened(replica, sql, subscriptionName(replica))],
            tables,
            opts.timeoutMs,
            config.publication,
          ),
        )
      })
    }
  })
  return steps
}
