// make replicate's copy onto a replica that has no subscription yet, in one transaction with that
// subscription (resync.ts): a new, empty replica (the default copy method, atomic) and, with
// --truncate-replicas, one that holds rows (after a rollback, say). A copy that fails leaves the
// replica exactly as it was — never half-filled, never emptied — and names what refused the rows.
// What a replica held is saved first.
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked, withNode } from '../db.js'
import { tablesHoldingRows } from '../replication/catalog.js'
import { subscriptionName } from '../replication/names.js'
import { existingSubscription } from '../replication/options.js'
import type { SetupContext } from '../replication/setup-context.js'
import { buildDeferredIndexes } from '../replication/snapshot-copy.js'
import type { Steps } from '../steps.js'
import { printResyncPlan, resyncReplica } from './resync.js'

export type ReplaceOptions = Pick<SetupContext, 'dryRun' | 'timeoutMs' | 'truncateReplicas' | 'copyMethod'>

export async function copyInOneTransaction(
  config: Config,
  primary: Sql,
  opts: ReplaceOptions,
  steps: Steps,
): Promise<void> {
  const failed = (replica: NodeSpec) => (error: unknown) => {
    const message = (error as Error).message
    steps.fail(message.startsWith(`${replica.name}:`) ? message : `${replica.name}: ${message}`)
  }
  // Empty replicas are copied at once; one that holds rows is saved and compared first, heavy
  // enough on a small machine that the others wait their turn.
  const held = await Promise.all(config.replicas.map(r => holdsRows(config, r)))
  await Promise.all(
    config.replicas.filter((_, i) => !held[i]).map(r => copyReplica(config, r, primary, opts, steps).catch(failed(r))),
  )
  for (const r of config.replicas.filter((_, i) => held[i]))
    await copyReplica(config, r, primary, opts, steps).catch(failed(r))
}

/** Unreadable: false here, and copyReplica names why. */
const holdsRows = (config: Config, replica: NodeSpec) =>
  withNode(replica, async sql => (await tablesHoldingRows(sql, config.tables)).length > 0).catch(() => false)

async function copyReplica(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  opts: ReplaceOptions,
  steps: Steps,
): Promise<void> {
  const sql = await connectChecked(replica)
  try {
    if (await existingSubscription(sql, subscriptionName(replica))) return
    const occupied = await tablesHoldingRows(sql, config.tables)
    // Rows there need --truncate-replicas; an empty replica is copied here unless another method was chosen.
    if (occupied.length ? !opts.truncateReplicas : opts.copyMethod !== 'atomic') return
    if (opts.dryRun) {
      // Before make replicate made the role and the publication, the proof resync runs first cannot.
      await printResyncPlan(config, replica, primary, sql, opts.timeoutMs)
      steps.note(
        occupied.length
          ? `${replica.name}: holds rows in ${occupied.join(', ')}: they would be saved, then replaced by the PRIMARY's in one transaction with its new subscription`
          : `${replica.name}: every table would be copied from a new slot's snapshot in one transaction with its new subscription`,
      )
      return
    }
    await finishInterruptedParallelCopy(replica, steps)
    await resyncReplica(config, replica, primary, sql, {
      dryRun: false,
      timeoutMs: opts.timeoutMs,
      say: text => steps.ok(text, true),
    })
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/** A --copy-method parallel run killed part-way deferred indexes: they are built before this copy. */
async function finishInterruptedParallelCopy(replica: NodeSpec, steps: Steps): Promise<void> {
  const rebuilt = await buildDeferredIndexes(replica, 2)
  if (rebuilt.length)
    steps.ok(
      `${replica.name}: built ${rebuilt.map(i => i.index).join(', ')} again (an interrupted copy had deferred them)`,
      true,
    )
}
