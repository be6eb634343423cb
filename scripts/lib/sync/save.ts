// What a resync is about to discard on a replica, kept before it is: every row of the tables it
// empties, as COPY files an operator can load again, and the keys of the rows that exist on the
// replica only (nothing on the PRIMARY will bring them back).
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeConnection } from '../checks/facts.js'
import { diffTable } from '../checks/table-diff.js'
import type { Config, NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { psql } from '../psql.js'

export interface Saved {
  dir: string
  rows: Record<string, number>
  /** table → keys present on the replica and not on the PRIMARY (null: too many to list). */
  replicaOnly: Record<string, string[] | null>
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-')

export async function saveBeforeDiscarding(config: Config, replica: NodeSpec, primary: Sql, replicaSql: Sql, tables: string[]): Promise<Saved> {
  const dir = join(config.saveDir, `${stamp()}-${replica.name}`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const saved: Saved = { dir, rows: {}, replicaOnly: {} }
  const nodes: NodeConnection[] = [
    { spec: config.primary, sql: primary, error: null, errorKind: null },
    { spec: replica, sql: replicaSql, error: null, errorKind: null },
  ]
  for (const table of tables) {
    // psql's \copy, as an operator would reload it (the driver's COPY stream stalled on large tables).
    const file = join(dir, `${table}.copy`)
    await psql(replica, { commands: [`\\copy (select * from public."${table}") to '${file.replaceAll("'", "''")}'`] })
    await chmod(file, 0o600)
    const [{ n }] = await replicaSql.unsafe(`select count(*)::int8 as n from public."${table}"`)
    saved.rows[table] = Number(n)
    const diff = await diffTable(nodes, table)
    saved.replicaOnly[table] = diff.tooManyRows !== null ? null : diff.differences.filter(d => d.nodes[replica.name] === 'extra').map(d => d.key)
  }
  const listing = tables.map(t => `${t}: ${saved.rows[t]} rows saved in ${t}.copy; ` +
    `${saved.replicaOnly[t] === null ? 'too many differing rows to list' : `${saved.replicaOnly[t]!.length} exist on ${replica.name} only${saved.replicaOnly[t]!.length ? `: ${saved.replicaOnly[t]!.join(', ')}` : ''}`}`)
  await writeFile(join(dir, 'README.txt'),
    `Rows of ${replica.name} saved by replkit before a resync emptied these tables (${new Date().toISOString()}).\n` +
    `Reload one with: psql "<${replica.name}'s URL>" -c "\\copy public.<table> from '<table>.copy'"\n\n${listing.join('\n')}\n`)
  return saved
}

/** One line per table for the operator: what was saved, and what exists on the replica only. */
export function describeSaved(saved: Saved, replica: string): string[] {
  return Object.keys(saved.rows).filter(t => saved.rows[t] > 0 || (saved.replicaOnly[t]?.length ?? 0) > 0).map(t => {
    const only = saved.replicaOnly[t]
    const extra = only === null ? 'too many differing rows to list' : only.length ? `${only.length} on ${replica} only (${only.slice(0, 5).join(', ')}${only.length > 5 ? ', …' : ''})` : 'none on the replica only'
    return `${t}: ${saved.rows[t]} rows saved, ${extra}`
  })
}
