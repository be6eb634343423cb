// make sync's choice for one replica: nothing (every table equal), a repair of the differing rows
// (few of them, and the subscription streams with every table ready), or a whole copy (many rows
// differ, or the subscription or the schema is what is broken). Said with its reason.
import { publishedParts } from '../checks/fingerprint.js'
import { type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { OpenNode } from '../node.js'
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { READY_STATES, tableStates } from '../replication/catalog.js'
import { subscriptionName } from '../replication/names.js'
import { schemaDrift, tableColumns } from '../replication/schema-drift.js'
import { streaming } from '../repair/replica.js'

/** More differing rows than this on one replica: a copy is the repair. */
export const REPAIR_LIMIT = 10_000

export type SyncMethod = 'none' | 'repair' | 'copy'

export interface SyncChoice {
  method: SyncMethod
  why: string
  /** Why a repair will not do, for a copy: "--copy", what blocks the repair, or how many rows differ. */
  copyBecause?: string
  /** Per table, the comparison the choice rests on (the repair reuses it). */
  compared: Record<string, TableCompare>
}

export interface SyncState {
  forceCopy: boolean
  /** Why rows cannot be repaired in place (not streaming, tables not ready, schema drift), or null. */
  blocked: string | null
  /** table → rows differing on the replica; null: too many to count (differing blocks too large). */
  differing: Record<string, number | null>
  limit: number
}

export function chooseSync(s: SyncState): Omit<SyncChoice, 'compared'> {
  const copy = (because: string, then: string) => ({
    method: 'copy' as const,
    why: `${because}: ${then}`,
    copyBecause: because,
  })
  if (s.forceCopy) return copy('--copy', 'every table copied again')
  if (s.blocked) return copy(s.blocked, 'a repair needs it, so every table is copied again')
  const counts = Object.values(s.differing)
  if (counts.some(n => n === null)) return copy('too many rows differ to list them', 'every table is copied again')
  const total = (counts as number[]).reduce((a, b) => a + b, 0)
  if (total === 0)
    return {
      method: 'none',
      why: "every table equals the PRIMARY's (compared at an LSN it reached): nothing to copy; --copy copies it again anyway",
    }
  if (total > s.limit)
    return copy(`${total} rows differ, more than ${s.limit}`, 'copying every table again is the faster repair')
  const tables = Object.entries(s.differing)
    .filter(([, n]) => n)
    .map(([t, n]) => `${t} ${n}`)
  return {
    method: 'repair',
    why: `${total} row${total === 1 ? '' : 's'} differ (${tables.join(', ')}): only those are repaired, nothing is copied again`,
  }
}

/** What stops an in-place repair on this replica, read from the catalogues; null when nothing does. */
async function repairBlocked(
  primary: Sql,
  replicaSql: Sql,
  replica: NodeSpec,
  tables: string[],
  publication: string | undefined,
): Promise<string | null> {
  const subscription = subscriptionName(replica)
  if (!(await streaming(primary, subscription))) return `${subscription} is not streaming`
  const states = await tableStates(replicaSql, subscription)
  const copying = states.filter(s => !READY_STATES.has(s.state)).map(s => s.table)
  if (copying.length) return `${subscription} is still copying ${copying.join(', ')}`
  const [ours, theirs, parts] = await Promise.all([
    tableColumns(primary, tables),
    tableColumns(replicaSql, tables),
    publication ? publishedParts(primary, publication, tables) : {},
  ])
  const drift = schemaDrift(ours, theirs, parts)
  if (drift.length)
    return `the replica's columns differ from the PRIMARY's (${drift.map(d => `${d.table}.${d.column}`).join(', ')})`
  return null
}

export async function chooseForReplica(
  primary: OpenNode,
  replica: OpenNode,
  tables: string[],
  forceCopy: boolean,
  timeoutMs: number,
  publication?: string,
): Promise<SyncChoice> {
  const blocked = forceCopy ? null : await repairBlocked(primary.sql, replica.sql, replica.spec, tables, publication)
  const compared: Record<string, TableCompare> = {}
  const differing: Record<string, number | null> = {}
  if (!forceCopy && !blocked) {
    for (const table of tables) {
      compared[table] = await compareTable(primary, [replica], table, { rows: true, timeoutMs, publication })
      differing[table] = compared[table].differences === null ? null : compared[table].differences!.length
    }
  }
  return { ...chooseSync({ forceCopy, blocked, differing, limit: REPAIR_LIMIT }), compared }
}
