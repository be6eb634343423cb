// What comparing one table needs, read from the PRIMARY: its primary key, its columns and its
// size; and how it is cut into blocks — key ranges (width_bucket over bounds sampled from the
// PRIMARY) for a one-column fixed-width key, hash buckets of the key otherwise. The blocks are
// the same on every node, whatever rows each holds.
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { sqlText } from '../sql-files.js'
import { quoteIdent, sqlName } from '../table-name.js'

export interface KeyColumn {
  name: string
  type: string
  fixed: boolean
}

export interface TableShape {
  table: string
  key: KeyColumn[]
  /** Every column in the PRIMARY's order; generated ones are never written by a repair. */
  columns: { name: string; generated: boolean }[]
  estimatedRows: number
  /** The publication sends only the rows this filter keeps (the PRIMARY's rows are read through it). */
  rowFilter: string | null
  /** A column list or a row filter: columns holds the published columns only, rows are hashed over them. */
  inPart: boolean
  /**
   * Every node has these columns in this order: a row is then hashed as the whole-row r::text,
   * the same text as row(r.a, r.b, …)::text but without forming a new tuple per row (10M rows:
   * 20 s rather than 34 s on one core). Set by sameColumnOrder().
   */
  wholeRow?: boolean
}

export type BlockPlan = { kind: 'range'; bounds: string[] } | { kind: 'hash'; buckets: number }

/**
 * About this many rows per block: a differing block's rows are then cheap to fetch key by key
 * (through the primary key index, each row a random heap page: 100 blocks of 1,000 rows took
 * 2.6 s on 1M rows, where 150-row blocks make it a few hundred ms).
 */
export const ROWS_PER_BLOCK = 150
const MAX_BLOCKS = 65_536
/** Below this many rows the whole table is read for the bounds; above, a sample of its pages. */
const SAMPLE_ALL_BELOW = 200_000

/** The table as the node holds it; with a publication, only what that publication sends of it. */
export async function tableShape(sql: Sql, table: string, publication: string | null = null): Promise<TableShape> {
  const [row] = await sql.unsafe(await sqlText('sql/compare/010_table_shape.sql'), [table, publication])
  if (!row) throw new ReplkitError(`${table}: no such table on the PRIMARY`)
  const key = row.key as KeyColumn[]
  if (!key.length)
    throw new ReplkitError(`${table} has no primary key on the PRIMARY: rows cannot be told apart to compare them`)
  const sent = row.published as { columns: string[] | null; row_filter: string | null } | null
  const columns = (row.columns as TableShape['columns']).filter(c => !sent?.columns || sent.columns.includes(c.name))
  return {
    table,
    key,
    columns,
    estimatedRows: Math.max(0, Number(row.estimated_rows)),
    rowFilter: sent?.row_filter ?? null,
    inPart: Boolean(sent?.columns || sent?.row_filter),
  }
}

/** Whether every node holds the table's columns in the PRIMARY's order (then shape.wholeRow). */
export async function sameColumnOrder(shape: TableShape, others: Sql[]): Promise<boolean> {
  const names = (columns: TableShape['columns']) => columns.map(c => c.name).join('\u0000')
  const theirs = await Promise.all(
    others.map(sql =>
      sql.unsafe(
        `select json_agg(attname order by attnum) as names from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped`,
        [sqlName(shape.table)],
      ),
    ),
  )
  return theirs.every(([r]) => r && (r.names as string[] | null)?.join('\u0000') === names(shape.columns))
}

/** Range blocks need one fixed-width key column (width_bucket walks a variable-width array per row). */
export const rangeKeyed = (shape: TableShape) => shape.key.length === 1 && shape.key[0].fixed

export function blockCount(rows: number): number {
  return Math.min(MAX_BLOCKS, Math.max(1, Math.ceil(rows / ROWS_PER_BLOCK)))
}

/** The table was cut for far fewer rows than it holds when its blocks are this many times too few. */
const OUTGROWN_FACTOR = 4

/** Whether rows counted by a full read need far more blocks than the plan has (the estimate was stale). */
export function outgrown(plan: BlockPlan, rows: number): boolean {
  const planned = plan.kind === 'range' ? plan.bounds.length + 1 : plan.buckets
  return blockCount(rows) > OUTGROWN_FACTOR * planned
}

/** The table's blocks, planned on the PRIMARY from its row estimate. */
export async function planBlocks(sql: Sql, shape: TableShape, rows = shape.estimatedRows): Promise<BlockPlan> {
  const blocks = blockCount(rows)
  if (!rangeKeyed(shape)) return { kind: 'hash', buckets: 2 ** Math.ceil(Math.log2(blocks)) }
  if (blocks === 1) return { kind: 'range', bounds: [] }
  // ~10 sampled keys per block keep the blocks within tens of percent of even.
  const percent = rows < SAMPLE_ALL_BELOW ? 100 : Math.min(100, (100 * blocks * 10) / rows)
  const [{ bounds }] = await sql.unsafe(
    fill(shape, { kind: 'range', bounds: [] }, await sqlText('sql/compare/020_block_bounds.sql')),
    [blocks, percent],
  )
  return { kind: 'range', bounds }
}

/** Which node a query reads: the PRIMARY's rows are read through the publication's row filter. */
export type Side = 'primary' | 'replica'

/** The table a query reads on this side: on the PRIMARY, only the rows its row filter keeps. */
const source = (shape: TableShape, side: Side) =>
  side === 'primary' && shape.rowFilter
    ? `(SELECT * FROM ${sqlName(shape.table)} WHERE (${shape.rowFilter}))`
    : sqlName(shape.table)

/** A compare or repair query with its {{placeholders}} filled in for this table (and block plan), as one side reads it. */
export function fill(shape: TableShape, plan: BlockPlan | null, text: string, side: Side = 'replica'): string {
  const ident = shape.key.map(k => quoteIdent(k.name))
  const rowText = shape.wholeRow
    ? 'r::text'
    : `row(${shape.columns.map(c => `r.${quoteIdent(c.name)}`).join(', ')})::text`
  const keyText = shape.key.length === 1 ? `r.${ident[0]}::text` : `row(${ident.map(i => `r.${i}`).join(', ')})::text`
  const block =
    plan === null
      ? ''
      : plan.kind === 'range'
        ? `width_bucket(r.${ident[0]}, $1::${shape.key[0].type}[])`
        : `(hashtextextended(${keyText}, 0) & $1::int8)::int`
  const written = shape.columns.filter(c => !c.generated).map(c => quoteIdent(c.name))
  const set = shape.columns
    .filter(c => !c.generated && !shape.key.some(k => k.name === c.name))
    .map(c => quoteIdent(c.name))
  return text
    .replaceAll('{{table}}', source(shape, side))
    .replaceAll('{{key}}', ident[0])
    .replaceAll('{{type}}', shape.key[0].type)
    .replaceAll('{{block}}', block)
    .replaceAll('{{row}}', rowText)
    .replaceAll(
      '{{keyjson}}',
      `jsonb_build_object(${shape.key.map((k, i) => `'${k.name.replaceAll("'", "''")}', r.${ident[i]}`).join(', ')})`,
    )
    .replaceAll('{{keydefs}}', shape.key.map((k, i) => `${ident[i]} ${k.type}`).join(', '))
    .replaceAll('{{keycols_r}}', ident.map(i => `r.${i}`).join(', '))
    .replaceAll('{{keycols_k}}', ident.map(i => `k.${i}`).join(', '))
    .replaceAll('{{keycols_s}}', ident.map(i => `s.${i}`).join(', '))
    .replaceAll('{{columns}}', written.join(', '))
    .replaceAll('{{set_columns}}', set.join(', '))
    .replaceAll('{{s_set_columns}}', set.map(c => `s.${c}`).join(', '))
}

/** A key as an operator reads it: the value of a one-column key, (a, b) for a composite one. */
export function displayKey(shape: TableShape, keyJson: string): string {
  const key = JSON.parse(keyJson) as Record<string, unknown>
  const values = shape.key.map(k =>
    typeof key[k.name] === 'string' ? (key[k.name] as string) : JSON.stringify(key[k.name]),
  )
  return values.length === 1 ? values[0] : `(${values.join(', ')})`
}
