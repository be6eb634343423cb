// What a snapshot copy killed part-way (SIGKILL, a lost terminal) left on a replica, and what the
// next make replicate does with it. While the snapshot is still held (snapshot-holder.ts) and the
// slot is not in use, the copy resumes: the parts already in are kept, the others copied from the
// same snapshot, so nothing is lost or copied twice. Otherwise it cannot resume consistently: the
// tables it had started are emptied (they were empty when it began) and the copy starts over.
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { sqlName } from '../table-name.js'
import { type InterruptedCopy, forgetParts, partsOf } from './copy-parts.js'
import { tablesToCopy } from './copy-statements.js'
import { subscriptionName } from './names.js'
import type { SetupContext } from './setup-context.js'
import { endHolder, snapshotHeld } from './snapshot-holder.js'

/**
 * null: no copy was interrupted here. Else the copy goes on by its own method (parallel parts):
 * `interrupted` to resume, or null once it was emptied to start over.
 */
export async function resumeOrRestart(
  c: SetupContext,
  replica: NodeSpec,
  sql: Sql,
  primary: Sql,
): Promise<{ interrupted: InterruptedCopy | null } | null> {
  const slot = subscriptionName(replica)
  const found = await partsOf(sql, slot, () => tablesToCopy(primary, c.config.tables, c.config.publication))
  if (!found) return null
  const [held] = await primary`select active from pg_replication_slots where slot_name = ${slot}`
  // In use: another run or subscriber holds it; the refusal that follows says so, nothing is touched.
  if (held?.active) return null
  const done = found.parts.filter(p => p.copied).length
  const why = !held
    ? `slot ${slot} is gone`
    : (await snapshotHeld(primary, found.snapshot))
      ? null
      : 'its snapshot is no longer held'
  if (!why) {
    c.steps.ok(
      `${replica.name}: resuming the copy a killed run left: ${done} of ${found.parts.length} parts are in; copying the other ${found.parts.length - done} from the same snapshot of slot ${slot}`,
      true,
    )
    return { interrupted: found }
  }
  const tables = [...new Set(found.parts.map(p => p.table.table))]
  await sql.unsafe(`truncate ${tables.map(sqlName).join(', ')}`)
  await forgetParts(sql, slot)
  await endHolder(primary, slot, found.holder)
  c.steps.ok(
    `${replica.name}: the copy a killed run left cannot resume (${why}): emptied ${tables.join(', ')} (empty before it began; ${done} of ${found.parts.length} parts were in) to copy again`,
    true,
  )
  return { interrupted: null }
}
