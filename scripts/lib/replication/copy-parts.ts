// A snapshot copy cut into parts: a small table whole, a big one in ranges of its blocks. Each
// part is copied by a pair of psql (libpq at both ends, no rows through Node) in a transaction of
// its own on the replica, which also marks the part in (replkit.copy_parts): the parts of one
// table run on parallel streams (pgcopydb's same-table concurrency), and a run killed part-way
// leaves a record of exactly what is in, so the next run copies only the rest.
import { join } from 'node:path'
import { type NodeSpec, repoRoot } from '../config.js'
import type { Sql } from '../db.js'
import { eachWithin } from '../concurrency.js'
import { ReplkitError } from '../errors.js'
import { psqlLiteral, psqlPipe } from '../psql.js'
import { queryFile } from '../sql-files.js'
import { type BlockRange, type TableToCopy, copyStatements } from './copy-statements.js'

export interface CopyPart {
  table: TableToCopy
  part: number
  parts: number
  range: BlockRange | null
  copied: boolean
}

/** Every table's parts of at most partBytes, largest table first: the streams take a big table's ranges side by side. */
export function cutIntoParts(tables: TableToCopy[], partBytes: number): CopyPart[] {
  return tables.flatMap(table => {
    const parts = Math.max(1, Math.ceil(table.bytes / partBytes))
    // In whole blocks of the server's own size (bytes / blocks).
    const partBlocks = Math.ceil(table.blocks / parts)
    return Array.from({ length: parts }, (_, part) => ({
      table,
      part,
      parts,
      // The last range has no end: rows in blocks added after the plan are in it too.
      range:
        parts === 1 ? null : { first: part * partBlocks, end: part === parts - 1 ? null : (part + 1) * partBlocks },
      copied: false,
    }))
  })
}

/** The plan recorded on the replica before any row is copied. */
export async function saveParts(
  replica: Sql,
  slot: string,
  held: { snapshot: string; holder: string },
  parts: CopyPart[],
): Promise<void> {
  await queryFile(replica, 'sql/copy/070_copy_parts_table.sql')
  const plan = parts.map(p => ({
    slot,
    ...held,
    table: p.table.table,
    part: p.part,
    parts: p.parts,
    first_block: p.range?.first ?? null,
    end_block: p.range?.end ?? null,
  }))
  await queryFile(replica, 'sql/copy/075_save_copy_parts.sql', [JSON.stringify(plan)])
}

/** A copy a killed run left: its snapshot, still held (and by what), and its parts, some in. */
export interface InterruptedCopy {
  snapshot: string
  holder: string
  parts: CopyPart[]
}

/** A replica that never had a parallel copy has no record of parts. */
async function hasPartsTable(replica: Sql): Promise<boolean> {
  const [{ exists }] = await replica`select to_regclass('replkit.copy_parts') is not null as exists`
  return exists
}

/** The recorded plan of a copy through `slot`, with what is in; null when there is none. The tables are read only then. */
export async function partsOf(
  replica: Sql,
  slot: string,
  tablesNow: () => Promise<TableToCopy[]>,
): Promise<InterruptedCopy | null> {
  if (!(await hasPartsTable(replica))) return null
  const rows = await queryFile(replica, 'sql/copy/085_copy_parts.sql', [slot])
  if (rows.length === 0) return null
  const tables = await tablesNow()
  const parts = rows.map(r => {
    const table = tables.find(t => t.table === r.table)
    if (!table)
      throw new ReplkitError(`the interrupted copy through ${slot} has parts of ${r.table}, which is not published`)
    const range =
      r.first_block === null
        ? null
        : { first: Number(r.first_block), end: r.end_block === null ? null : Number(r.end_block) }
    return { table, part: r.part, parts: r.parts, range, copied: r.copied }
  })
  return { snapshot: rows[0].snapshot, holder: rows[0].holder, parts }
}

/** A copy through `slot` was planned here and never handed to its subscription (a killed run). */
export async function partsLeft(replica: Sql, slot: string): Promise<boolean> {
  return (await hasPartsTable(replica)) && (await queryFile(replica, 'sql/copy/085_copy_parts.sql', [slot])).length > 0
}

export async function forgetParts(replica: Sql, slot: string): Promise<void> {
  if (await hasPartsTable(replica)) await queryFile(replica, 'sql/copy/090_forget_copy_parts.sql', [slot])
}

export interface PartsCopy {
  slot: string
  binary: boolean
  jobs: number
}

/**
 * `jobs` psql pairs at a time take the parts in order: the PRIMARY end imports the exported
 * snapshot in a REPEATABLE READ transaction and COPYs the part out; the replica end COPYs it in
 * as the apply worker writes (session_replication_role = replica: no FK or user triggers fire)
 * and marks it in, in the same transaction. A table whose last part is in while other parts
 * are still to come is handed to tableIn (its indexes are built while the others copy on).
 * After a failure no part starts and the running ones end before it is thrown: an undo is never
 * overtaken by a part that commits after it. Returns the tables whose every part is in.
 */
export async function copyParts(
  primaryNode: NodeSpec,
  replicaNode: NodeSpec,
  parts: CopyPart[],
  snapshot: string,
  copy: PartsCopy,
  tableIn: (table: string) => void,
): Promise<number> {
  const begin = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    `SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`,
  ]
  const done = `\\i ${psqlLiteral(join(repoRoot, 'sql/copy/080_copy_part_done.sql'))}`
  await eachWithin(
    parts.filter(p => !p.copied),
    copy.jobs,
    async p => {
      const sql = copyStatements(p.table, copy.binary, p.range)
      await psqlPipe(
        { node: primaryNode, commands: [...begin, sql.out, 'COMMIT'] },
        {
          node: replicaNode,
          commands: ['BEGIN', sql.in, done, 'COMMIT'],
          vars: { slot: copy.slot, table: p.table.table, part: String(p.part) },
          settings: {
            session_replication_role: 'replica',
            synchronous_commit: 'off',
            default_transaction_read_only: 'off',
          },
        },
      )
      p.copied = true
      const tableDone = parts.every(o => o.copied || o.table.table !== p.table.table)
      if (tableDone && parts.some(o => !o.copied)) tableIn(p.table.table)
    },
  )
  return new Set(parts.map(p => p.table.table)).size
}
