// Row count and content checksum per table, computed inside each database (sql/check/checksums.sql
// over replkit.table_fingerprint): equal content gives an equal fingerprint on every node. A table
// a publication sends in part is summed over what it sends (sql/check/checksums_in_part.sql).
import type { Sql } from '../db.js'
import type { PublishedPart } from '../publication-tables.js'
import { checkQuery } from '../sql-files.js'

export interface TableSum {
  table: string
  exists: boolean
  rows: number | null
  checksum: string | null
}

/** The tables a publication sends in part, as the PRIMARY's catalogue says (sql/check/published_parts.sql). */
export async function publishedParts(
  primary: Sql,
  publication: string,
  tables: string[],
): Promise<Record<string, PublishedPart>> {
  const rows = await checkQuery(primary, 'published_parts.sql', [tables, publication])
  return Object.fromEntries(rows.map(r => [r.table, { columns: r.columns, rowFilter: r.row_filter }]))
}

/** A replica holds only the rows the filter kept: it is summed over the columns alone. */
export const onReplica = (parts: Record<string, PublishedPart>): Record<string, PublishedPart> =>
  Object.fromEntries(Object.entries(parts).map(([t, p]) => [t, { columns: p.columns, rowFilter: null }]))

const sum = (r: Record<string, unknown>): TableSum => ({
  table: r.table as string,
  exists: r.exists as boolean,
  rows: r.rows === null ? null : Number(r.rows),
  checksum: (r.checksum as string | null) ?? null,
})

export async function tableSums(
  sql: Sql,
  tables: string[],
  parts: Record<string, PublishedPart> = {},
): Promise<TableSum[]> {
  const inPart = tables.filter(t => t in parts)
  const whole = tables.filter(t => !(t in parts))
  const [wholeSums, partSums] = await Promise.all([
    whole.length ? checkQuery(sql, 'checksums.sql', [whole]) : [],
    inPart.length
      ? checkQuery(sql, 'checksums_in_part.sql', [
          inPart,
          inPart.map(t => (parts[t].columns ? JSON.stringify(parts[t].columns) : null)),
          inPart.map(t => parts[t].rowFilter),
        ])
      : [],
  ])
  const byTable = new Map([...wholeSums, ...partSums].map(r => [r.table as string, sum(r)]))
  return tables.map(t => byTable.get(t)!)
}

/**
 * Tables summed elsewhere (a comparison at an LSN): whether each exists, read under the lock a
 * read takes; rows and checksum stay null until that comparison fills them in.
 */
export async function tablesLockable(sql: Sql, tables: string[]): Promise<TableSum[]> {
  const rows = await checkQuery(sql, 'table_lockable.sql', [tables])
  return rows.map(r => ({ table: r.table as string, exists: r.exists as boolean, rows: null, checksum: null }))
}

export interface Fingerprint {
  row_count: string
  checksum: string
  /** The columns summed, for a table sent in part (the replica sums the same ones). */
  columns?: string[] | null
}

/** {table: {row_count, checksum[, columns]}}: the form the pgTAP suites take as :primary_fingerprints. */
export async function fingerprints(
  sql: Sql,
  tables: string[],
  parts: Record<string, PublishedPart> = {},
): Promise<Record<string, Fingerprint>> {
  const sums = await tableSums(sql, tables, parts)
  return Object.fromEntries(
    sums
      .filter(s => s.exists)
      .map(s => [
        s.table,
        {
          row_count: String(s.rows),
          checksum: s.checksum!,
          ...(s.table in parts ? { columns: parts[s.table].columns } : {}),
        },
      ]),
  )
}

export const sameFingerprint = (a?: Fingerprint, b?: Fingerprint) =>
  a !== undefined && b !== undefined && a.row_count === b.row_count && a.checksum === b.checksum
