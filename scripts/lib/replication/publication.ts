// The publication as the PRIMARY holds it, and as PUBLICATION_TABLES would make it. The second is
// read from a probe publication created in a transaction that is always rolled back: PostgreSQL
// itself parses the column lists and row filters, normalises them (so a re-run compares equal and
// changes nothing), and judges whether UPDATE and DELETE on each table would still work.
import type { Config } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { publicationObjects } from '../publication-tables.js'
import { quoteIdent, sqlName, tableText } from '../table-name.js'

/** One published table: its name (regclass text), the columns sent and the row filter, as pg_publication_tables shows them. */
export interface PublishedTable {
  table: string
  columns: string[]
  rowFilter: string | null
}

const PROBE = 'replkit_probe'

class RolledBack extends Error {}

export async function publishedTables(sql: Sql, publication: string): Promise<PublishedTable[]> {
  const rows = await sql`
    select schemaname, tablename, attnames, rowfilter from pg_publication_tables
     where pubname = ${publication} order by schemaname, tablename`
  return rows.map(r => ({
    table: tableText({ schema: r.schemaname, name: r.tablename }),
    columns: r.attnames as string[],
    rowFilter: r.rowfilter as string | null,
  }))
}

/**
 * The publication PUBLICATION_TABLES describes, as PostgreSQL would hold it; refused with the
 * server's own words when it would not take it, or when a table published in part could no
 * longer be updated or deleted from (a filter or column list outside its replica identity).
 */
export async function intendedPublication(sql: Sql, config: Config): Promise<PublishedTable[]> {
  // Never publish a schema.* as less than its tables (the PRIMARY could not be read for them).
  if (config.schemaTablesUnread)
    throw new ReplkitError(
      `${config.primary.name}: the tables of ${config.publishedSchemas.map(s => `${quoteIdent(s)}.*`).join(', ')} could not be read (nothing was changed)`,
    )
  const objects = publicationObjects({ tables: config.tables, parts: config.publishedParts })
  let intended: PublishedTable[] = []
  let step = 'PUBLICATION_TABLES'
  try {
    await sql.begin('read write', async tx => {
      await tx.unsafe('set local lock_timeout = 5000')
      await tx.unsafe(`create publication ${PROBE} for table ${objects}`)
      intended = await publishedTables(tx as unknown as Sql, PROBE)
      for (const table of Object.keys(config.publishedParts)) {
        // The check UPDATE and DELETE run against the publications when they start, rows or not.
        step = `UPDATE and DELETE on ${table} once published in part`
        const column = quoteIdent(intended.find(t => t.table === table)!.columns[0])
        await tx.unsafe(`update ${sqlName(table)} set ${column} = ${column} where false`)
        await tx.unsafe(`delete from ${sqlName(table)} where false`)
      }
      throw new RolledBack()
    })
  } catch (error) {
    if (!(error instanceof RolledBack))
      throw new ReplkitError(`primary: ${step}: ${serverWords(error)} (nothing was changed)`)
  }
  return intended
}

/** The server's message with its DETAIL, which says why (e.g. which column is outside the replica identity). */
const serverWords = (error: unknown) => {
  const e = error as { message: string; detail?: string }
  return e.detail ? `${e.message}: ${e.detail}` : e.message
}

/** Whether the publication already is what was intended: the same tables, columns and filters. */
export function samePublication(actual: PublishedTable[], intended: PublishedTable[]): boolean {
  const key = (tables: PublishedTable[]) => JSON.stringify(tables.map(t => [t.table, t.columns, t.rowFilter]).sort())
  return key(actual) === key(intended)
}
