// make replicate --truncate-replicas on a replica that holds rows but has no subscription (after a
// rollback, say): its rows are replaced by the PRIMARY's in the same transaction that creates its
// subscription (resync.ts), so a copy that fails leaves the replica exactly as it was — never
// emptied, never half-copied. What it held is saved first.
import type { Config } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { tablesHoldingRows } from '../replication/catalog.js'
import { subscriptionName } from '../replication/names.js'
import { existingSubscription } from '../replication/options.js'
import type { Steps } from '../steps.js'
import { printResyncPlan, resyncReplica } from './resync.js'

export interface ReplaceOptions {
  dryRun: boolean
  timeoutMs: number
  truncateReplicas: boolean
}

export async function replaceOccupiedReplicas(
  config: Config,
  primary: Sql,
  opts: ReplaceOptions,
  steps: Steps,
): Promise<void> {
  if (!opts.truncateReplicas) return
  for (const replica of config.replicas) {
    const sql = await connectChecked(replica)
    try {
      if (await existingSubscription(sql, subscriptionName(replica))) continue
      const occupied = await tablesHoldingRows(sql, config.tables)
      if (!occupied.length) continue
      if (opts.dryRun) {
        // Before make replicate made the role and the publication, the proof resync runs first cannot.
        await printResyncPlan(config, replica, primary, sql, opts.timeoutMs)
        steps.note(
          `${replica.name}: holds rows in ${occupied.join(', ')}: they would be saved, then replaced by the PRIMARY's in one transaction with its new subscription`,
        )
        continue
      }
      await resyncReplica(config, replica, primary, sql, {
        dryRun: opts.dryRun,
        timeoutMs: opts.timeoutMs,
        say: text => steps.ok(text, true),
      })
    } finally {
      await sql.end({ timeout: 1 })
    }
  }
}
