// What a resync is about to discard on a replica, kept before it is (replication/saved-rows.ts),
// and the keys of the rows that exist on the replica only: nothing on the PRIMARY will bring
// them back, so the operator is told which they are.
import { opened } from '../node.js'
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compareTable } from '../compare/at-lsn.js'
import type { Config, NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { type SavedRows, saveRows } from '../replication/saved-rows.js'

export interface Saved extends SavedRows {
  /** table → keys present on the replica and not on the PRIMARY (null: too many to list). */
  replicaOnly: Record<string, string[] | null>
}

export async function saveBeforeDiscarding(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  tables: string[],
): Promise<Saved> {
  const saved: Saved = {
    ...(await saveRows(config, replica, tables, 'a resync emptied these tables')),
    replicaOnly: {},
  }
  // The replica as it stands (its subscription may be what is broken): rows on it alone hold still.
  const p = opened(config.primary, primary)
  const r = opened(replica, replicaSql, null)
  for (const table of tables) {
    const diff = await compareTable(p, [r], table, { rows: true, timeoutMs: 60_000, publication: config.publication })
    saved.replicaOnly[table] =
      diff.differences === null ? null : diff.differences.filter(d => d.nodes[replica.name] === 'extra').map(d => d.key)
  }
  await appendFile(
    join(saved.dir, 'README.txt'),
    `\nRows on ${replica.name} only (their ${tables.length > 1 ? "tables'" : "table's"} primary key), at the time of the save:\n` +
      tables
        .map(
          t =>
            `${t}: ${saved.replicaOnly[t] === null ? 'too many differing rows to list' : saved.replicaOnly[t]!.join(', ') || 'none'}`,
        )
        .join('\n') +
      '\n',
  )
  return saved
}

/** One line per table for the operator: what was saved, and what exists on the replica only. */
export function describeSaved(saved: Saved, replica: string): string[] {
  return Object.keys(saved.rows)
    .filter(t => saved.rows[t] > 0 || (saved.replicaOnly[t]?.length ?? 0) > 0)
    .map(t => {
      const only = saved.replicaOnly[t]
      const extra =
        only === null
          ? 'too many differing rows to list'
          : only.length
            ? `${only.length} on ${replica} only (${only.slice(0, 5).join(', ')}${only.length > 5 ? ', …' : ''})`
            : 'none on the replica only'
      return `${t}: ${saved.rows[t]} rows saved, ${extra}`
    })
}
