// Row count and content checksum per table, computed inside each database (sql/check/checksums.sql
// over replkit.table_fingerprint): equal content gives an equal fingerprint on every node.
import type { Sql } from '../db.js'
import { checkQuery } from '../sql-files.js'

export interface TableSum {
  table: string
  exists: boolean
  rows: number | null
  checksum: string | null
}

export async function tableSums(sql: Sql, tables: string[]): Promise<TableSum[]> {
  return (await checkQuery(sql, 'checksums.sql', [tables])).map(r => ({
    table: r.table,
    exists: r.exists,
    rows: r.rows === null ? null : Number(r.rows),
    checksum: r.checksum ?? null,
  }))
}

export interface Fingerprint {
  row_count: string
  checksum: string
}

/** {table: {row_count, checksum}}: the form the pgTAP suites take as :primary_fingerprints. */
export async function fingerprints(sql: Sql, tables: string[]): Promise<Record<string, Fingerprint>> {
  const sums = await tableSums(sql, tables)
  return Object.fromEntries(
    sums.filter(s => s.exists).map(s => [s.table, { row_count: String(s.rows), checksum: s.checksum! }]),
  )
}

export const sameFingerprint = (a?: Fingerprint, b?: Fingerprint) =>
  a !== undefined && b !== undefined && a.row_count === b.row_count && a.checksum === b.checksum
