// A replica that lacks published tables gets the PRIMARY's own definitions of them, read from the
// PRIMARY's catalogue (sql/check/table_definitions.sql), never sql/schema, which may be older
// than the PRIMARY. Read by the PRIMARY itself, so it needs no pg_dump of the PRIMARY's major.
// Created in one replica transaction: all of them or none.
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { checkQuery } from '../sql-files.js'

export interface TableDefinition {
  table: string
  statement: string
}

/** The PRIMARY's definitions of the tables, in the order to run them; refused for a table it cannot define. */
export async function tableDefinitions(primary: Sql, tables: string[]): Promise<TableDefinition[]> {
  const rows = (await primary.begin('read only', async tx => {
    // Every name in the definitions schema-qualified, whatever the replica's search_path.
    await tx`select set_config('search_path', 'pg_catalog', true)`
    return checkQuery(tx as unknown as Sql, 'table_definitions.sql', [tables])
  })) as Record<string, string>[]
  const defined = new Set(rows.filter(r => r.statement.startsWith('CREATE TABLE')).map(r => r.table))
  const undefinedTables = tables.filter(t => !defined.has(t))
  if (undefinedTables.length)
    throw new ReplkitError(
      `primary: ${undefinedTables.join(', ')}: not a plain table there, so replkit cannot give the replicas its definition`,
      EXIT.failed,
    )
  return rows.map(r => ({ table: r.table, statement: r.statement }))
}

/** The definitions run on the replica in one transaction; a refusal names the statement and changes nothing. */
export async function createTables(replica: NodeSpec, sql: Sql, definitions: TableDefinition[]): Promise<void> {
  let running: TableDefinition | null = null
  try {
    // read write: replicas are read-only for client sessions; replkit's own session writes.
    await sql.begin('read write', async tx => {
      for (const d of definitions) {
        running = d
        await tx.unsafe(d.statement)
      }
    })
  } catch (error) {
    const failed = running as TableDefinition | null
    throw new ReplkitError(
      `${replica.name}: the PRIMARY's definition of ${failed?.table ?? 'the tables'} was refused there: ${(error as Error).message}` +
        `${failed ? ` (in: ${failed.statement})` : ''}; nothing was created (one transaction)`,
      EXIT.failed,
    )
  }
}
