// A replica's schema against the PRIMARY's, column by column, with the DDL that aligns the
// replica. DDL is not replicated: a column added on the PRIMARY stops apply on the replica
// ("missing replicated column"), and a copy can never succeed until the columns agree.
import { quoteIdent as ident, sqlName } from '../table-name.js'
import type { Sql } from '../db.js'
import { checkQuery } from '../sql-files.js'

export interface Column {
  table: string
  column: string
  type: string
  notNull: boolean
  default: string | null
}

export interface Drift {
  table: string
  column: string
  /**
   * missing: on the PRIMARY, not on the replica; extra: on the replica only; type: both,
   * differently; unsent: outside the publication's column list, and NOT NULL without a default on
   * the replica (replicated rows arrive without it).
   */
  kind: 'missing' | 'extra' | 'type' | 'unsent'
  primary: Column | null
  replica: Column | null
  /** Whether apply or a copy fails because of it (an extra nullable column does no harm to either). */
  breaksApply: boolean
  /** DDL to run on the replica; null when aligning would drop data that exists only there. */
  ddl: string | null
  /** What the operator is told beside the DDL. */
  note: string
}

export async function tableColumns(sql: Sql, tables: string[]): Promise<Column[]> {
  return (await checkQuery(sql, 'columns.sql', [tables])).map(r => ({
    table: r.table,
    column: r.column,
    type: r.type,
    notNull: r.not_null,
    default: r.default,
  }))
}

const show = (c: Column) => `${c.type}${c.notNull ? ' not null' : ''}${c.default ? ` default ${c.default}` : ''}`
/** A default that yields a new value per row (now(), gen_random_uuid(), nextval…): the two sides' old rows would differ. */
const volatileDefault = (c: Column) => c.default !== null && /\(/.test(c.default)

/**
 * The differences, PRIMARY-first order; tables absent on the replica entirely are left to the
 * table check. `sent`: the column lists of tables published in part — a column outside its list
 * never reaches the replica, so it may be missing or differ there.
 */
export function schemaDrift(
  primary: Column[],
  replica: Column[],
  sent: Record<string, { columns: string[] | null }> = {},
): Drift[] {
  const key = (c: Column) => `${c.table}\u0000${c.column}`
  const unsent = (c: Column) => sent[c.table]?.columns?.includes(c.column) === false
  const theirs = new Map(replica.map(c => [key(c), c]))
  const ours = new Map(primary.map(c => [key(c), c]))
  const replicaTables = new Set(replica.map(c => c.table))
  const out: Drift[] = []
  for (const p of primary) {
    if (!replicaTables.has(p.table) || unsent(p)) continue
    const r = theirs.get(key(p))
    const target = sqlName(p.table)
    if (!r) {
      const ddl = `ALTER TABLE ${target} ADD COLUMN ${ident(p.column)} ${p.type}${p.default ? ` DEFAULT ${p.default}` : ''}${p.notNull ? ' NOT NULL' : ''};`
      out.push({
        table: p.table,
        column: p.column,
        kind: 'missing',
        primary: p,
        replica: null,
        breaksApply: true,
        ddl,
        note: volatileDefault(p)
          ? `its default ${p.default} gives each existing row a new value, so those rows will differ from the PRIMARY's: after the DDL, make sync ARGS="--replica R --yes" repairs them (or copies the replica again, in one transaction)`
          : 'apply resumes by itself once the column exists; nothing is lost (the failed transaction is retried)',
      })
    } else if (r.type !== p.type) {
      out.push({
        table: p.table,
        column: p.column,
        kind: 'type',
        primary: p,
        replica: r,
        breaksApply: true,
        ddl: `ALTER TABLE ${target} ALTER COLUMN ${ident(p.column)} TYPE ${p.type} USING ${ident(p.column)}::${p.type};`,
        note: 'the cast runs on the replica\'s existing values and apply resumes; values its type held otherwise (rounded, cut short) then differ from the PRIMARY\'s: make check names the table, and make sync ARGS="--replica R --yes" repairs exactly those rows',
      })
    }
  }
  for (const r of replica) {
    if (unsent(r) && r.notNull && r.default === null) out.push(unsentDrift(r))
    if (ours.has(key(r)) || !primary.some(p => p.table === r.table)) continue
    const breaks = r.notNull && r.default === null
    out.push({
      table: r.table,
      column: r.column,
      kind: 'extra',
      primary: null,
      replica: r,
      breaksApply: breaks,
      ddl: null,
      note: breaks
        ? `every replicated INSERT fails there (NOT NULL without a default): save its values, then ALTER TABLE ${sqlName(r.table)} DROP COLUMN ${ident(r.column)}; — or add the column on the PRIMARY`
        : `replicated rows get ${r.default ?? 'NULL'} there; harmless to apply, but its values exist on that replica only (drop it there, or add it on the PRIMARY)`,
    })
  }
  return out
}

function unsentDrift(r: Column): Drift {
  return {
    table: r.table,
    column: r.column,
    kind: 'unsent',
    primary: null,
    replica: r,
    breaksApply: true,
    ddl: null,
    note: `every replicated INSERT fails there: give it a default there (ALTER TABLE ${sqlName(r.table)} ALTER COLUMN ${ident(r.column)} SET DEFAULT …), drop NOT NULL, or add it to the table's column list in PUBLICATION_TABLES`,
  }
}

export function describeDrift(d: Drift, replica: string): string {
  switch (d.kind) {
    case 'missing':
      return `${d.table}.${d.column} (${show(d.primary!)}) exists on the PRIMARY but not on ${replica}`
    case 'type':
      return `${d.table}.${d.column} is ${d.replica!.type} on ${replica} but ${d.primary!.type} on the PRIMARY`
    case 'extra':
      return `${d.table}.${d.column} (${show(d.replica!)}) exists on ${replica} but not on the PRIMARY`
    case 'unsent':
      return `${d.table}.${d.column} is not in the publication's column list, and on ${replica} it is NOT NULL without a default`
  }
}
