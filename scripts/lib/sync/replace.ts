// make replicate's copy onto a replica that has no subscription yet, in one transaction with that
// subscription (resync.ts): a new, empty replica (the default copy method, atomic) and, with
// --truncate-replicas, one that holds rows (after a rollback, say). A copy that fails leaves the
// replica exactly as it was — never half-filled, never emptied — and names what refused the rows.
// What a replica held is saved first.
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { tablesHoldingRows } from '../replication/catalog.js'
import { subscriptionName } from '../replication/names.js'
import { existingSubscription } from '../replication/options.js'
import type { SetupContext } from '../replication/setup-context.js'
import { finishInterruptedCopy } from '../replication/snapshot-copy.js'
import { partsLeft } from '../replication/copy-parts.js'
import { settledWithin } from '../concurrency.js'
import { copiesAtOnce } from '../replication/wal-senders.js'
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
    return null
  }
  const found = (await Promise.all(config.replicas.map(r => toCopy(config, r, opts).catch(failed(r))))).filter(
    c => c !== null,
  )
  // Empty replicas are copied side by side, as many as the PRIMARY's walsenders allow; one that
  // holds rows is saved and compared first, heavy enough on a small machine that the others wait their turn.
  const copy = (c: Candidate) =>
    copyReplica(config, c, primary, opts, steps)
      .catch(failed(c.replica))
      .finally(() => c.sql.end({ timeout: 1 }))
  const atOnce = await copiesAtOnce(primary, found.length)
  await settledWithin(
    found.filter(c => !c.occupied.length),
    atOnce,
    copy,
  )
  for (const c of found.filter(c => c.occupied.length)) await copy(c)
}

/** A replica this step copies, with its open session and the tables that hold rows there. */
interface Candidate {
  replica: NodeSpec
  sql: Sql
  occupied: string[]
}

/** Null when the replica has a subscription, holds rows without --truncate-replicas, or another method copies it. */
async function toCopy(config: Config, replica: NodeSpec, opts: ReplaceOptions): Promise<Candidate | null> {
  const sql = await connectChecked(replica)
  const close = () => sql.end({ timeout: 1 }).then(() => null)
  try {
    if (await existingSubscription(sql, subscriptionName(replica))) return close()
    // A parallel copy a killed run left goes on by its own method (replication/copy-resume.ts).
    if (await partsLeft(sql, subscriptionName(replica))) return close()
    const occupied = await tablesHoldingRows(sql, config.tables)
    if (occupied.length ? !opts.truncateReplicas : opts.copyMethod !== 'atomic') return close()
    return { replica, sql, occupied }
  } catch (error) {
    await close()
    throw error
  }
}

async function copyReplica(
  config: Config,
  { replica, sql, occupied }: Candidate,
  primary: Sql,
  opts: ReplaceOptions,
  steps: Steps,
): Promise<void> {
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
  const rebuilt = await finishInterruptedCopy(replica, 2)
  if (rebuilt) steps.ok(rebuilt, true)
  await resyncReplica(config, replica, primary, sql, {
    dryRun: false,
    timeoutMs: opts.timeoutMs,
    say: text => steps.ok(text, true),
  })
}
