// What a copy from the PRIMARY's snapshot carries of each table, and the COPY statements both
// ends run for it (the snapshot copy of make replicate, the atomic copy of make sync).
import type { Sql } from '../db.js'
import { sqlText } from '../sql-files.js'
import { quoteIdent as ident, sqlName } from '../table-name.js'

export interface TableToCopy {
  table: string
  bytes: number
  /** Its size in blocks when the copy was planned: what its parts are cut from. */
  blocks: number
  columns: string[]
  /** The publication's row filter: only the rows it keeps are copied (null: all). */
  rowFilter: string | null
}

/** A range of a table's blocks [first, end); end null: to the table's end, however far it grew. */
export interface BlockRange {
  first: number
  end: number | null
}

/** The statements a COPY pair runs for one table, or one range of its blocks, as --dry-run prints them. */
export function copyStatements(
  t: Pick<TableToCopy, 'table' | 'columns' | 'rowFilter'>,
  binary: boolean,
  range: BlockRange | null = null,
): { out: string; in: string } {
  const columns = t.columns.map(ident).join(', ')
  const target = `${sqlName(t.table)} (${columns})`
  // A TID range scan (PostgreSQL 14+) reads only the range's blocks.
  const conditions = [
    ...(range ? [`ctid >= '(${range.first},0)'::tid`] : []),
    ...(range?.end != null ? [`ctid < '(${range.end},0)'::tid`] : []),
    ...(t.rowFilter ? [`(${t.rowFilter})`] : []),
  ]
  const source = conditions.length
    ? `(SELECT ${columns} FROM ${sqlName(t.table)} WHERE ${conditions.join(' AND ')})`
    : target
  const format = binary ? ' (FORMAT binary)' : ''
  return { out: `COPY ${source} TO STDOUT${format}`, in: `COPY ${target} FROM STDIN${format}` }
}

export const createSlotStatement = (slot: string) =>
  `CREATE_REPLICATION_SLOT ${ident(slot)} LOGICAL pgoutput (SNAPSHOT 'export')`

/** The published tables, largest first, with what COPY carries of each (the catalogue, not the snapshot). */
export async function tablesToCopy(primary: Sql, tables: string[], publication: string): Promise<TableToCopy[]> {
  return [...(await primary.unsafe(await sqlText('sql/copy/010_tables_to_copy.sql'), [tables, publication]))].map(
    r => ({
      table: r.table,
      bytes: Number(r.bytes),
      blocks: Number(r.blocks),
      columns: r.columns,
      rowFilter: r.row_filter,
    }),
  )
}
