// --diff TABLE: narrows a checksum mismatch down to the differing primary keys without fetching
// the table. Each node checksums its rows per key range (keys sharing the first N hex digits of
// the uuid); only ranges that differ from the PRIMARY are split further (one more digit, through
// the primary key index), until they hold few rows; then just those rows' key and hash are fetched.
import type { NodeConnection } from './facts.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { checkQuery, sqlText } from '../sql-files.js'

export type KeyState = 'missing' | 'different' | 'extra'

export interface KeyDifference {
  key: string
  /** replica name → how its row differs from the PRIMARY's (replicas that agree are absent). */
  nodes: Record<string, KeyState>
}

export interface DiffResult {
  table: string
  keyColumn: string
  replicas: string[]
  /** Round trips per node: range levels plus the final row fetch. */
  rounds: number
  differences: KeyDifference[]
  /** Set when too many rows differ to list them: the rows in the differing ranges. */
  tooManyRows: number | null
}

const FIRST_DIGITS = 2
const MAX_DIGITS = 8 // the uuid's first group: prefixes never cross a hyphen
const FETCH_ROWS = 1000 // ranges holding at most this many rows are compared row by row
const LIST_LIMIT = 100_000 // beyond this, listing keys helps nobody: resync instead

interface Bucket { rows: number; checksum: string }

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`

/** The low and high uuid of every key starting with each hex prefix. */
export function prefixRanges(prefixes: string[]): [string[], string[]] {
  const uuid = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  return [prefixes.map(p => uuid(p.padEnd(32, '0'))), prefixes.map(p => uuid(p.padEnd(32, 'f')))]
}

/** Keys that differ between the PRIMARY's rows and each replica's (key → row hash). */
export function compareRows(primary: Map<string, string>, replicas: [string, Map<string, string>][]): KeyDifference[] {
  const found = new Map<string, KeyDifference>()
  const mark = (key: string, node: string, state: KeyState) => {
    if (!found.has(key)) found.set(key, { key, nodes: {} })
    found.get(key)!.nodes[node] = state
  }
  for (const [node, rows] of replicas) {
    for (const [key, hash] of primary) {
      if (!rows.has(key)) mark(key, node, 'missing')
      else if (rows.get(key) !== hash) mark(key, node, 'different')
    }
    for (const key of rows.keys()) if (!primary.has(key)) mark(key, node, 'extra')
  }
  return [...found.values()].sort((a, b) => a.key.localeCompare(b.key))
}

/** Buckets whose row count or checksum differs between the PRIMARY and any replica. */
export function differingBuckets(primary: Map<string, Bucket>, replicas: Map<string, Bucket>[]): string[] {
  const keys = new Set([...primary.keys(), ...replicas.flatMap(r => [...r.keys()])])
  const same = (a?: Bucket, b?: Bucket) => a?.rows === b?.rows && a?.checksum === b?.checksum
  return [...keys].filter(k => replicas.some(r => !same(primary.get(k), r.get(k)))).sort()
}

/**
 * The planner has no statistics for a key prefix, guesses one group per row and sorts the whole
 * table (to disk, at 1M rows: ~8x slower); there are at most 16^digits buckets, so hash them.
 */
async function hashGrouped(sql: Sql, text: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  return sql.begin(async tx => {
    await tx`set local enable_sort = off`
    return [...(await tx.unsafe(text, params as never[]))]
  })
}

async function keyColumn(sql: Sql, table: string): Promise<string> {
  const [key] = await checkQuery(sql, 'diff_key.sql', [table])
  if (!key) throw new ReplkitError(`--diff ${table}: the table has no primary key on the PRIMARY`)
  if (key.columns !== 1 || key.type !== 'uuid') {
    throw new ReplkitError(`--diff ${table}: narrowing works on a one-column uuid primary key; ${table}'s is ${key.type}${key.columns > 1 ? ` over ${key.columns} columns` : ''}`)
  }
  return key.column
}

export async function diffTable(nodes: NodeConnection[], table: string): Promise<DiffResult> {
  const [primary, ...others] = nodes
  if (!primary.sql) throw new ReplkitError(`--diff ${table}: the PRIMARY is down, so there is nothing to compare against`)
  const replicas = others.filter(n => n.sql)
  const key = await keyColumn(primary.sql, table)
  const fill = (text: string) => text.replaceAll('{{table}}', quoteIdent(table)).replaceAll('{{key}}', quoteIdent(key))
  const bucketSql = fill(await sqlText('sql/check/diff_buckets.sql'))
  const rowSql = fill(await sqlText('sql/check/diff_rows.sql'))
  const all = [primary, ...replicas]
  const result = (rounds: number, differences: KeyDifference[], tooManyRows: number | null): DiffResult =>
    ({ table, keyColumn: key, replicas: replicas.map(r => r.spec.name), rounds, differences, tooManyRows })

  let ranges: [string[], string[]] | [null, null] = [null, null]
  for (let digits = FIRST_DIGITS, rounds = 1; ; digits++, rounds++) {
    const levels = await Promise.all(all.map(async n => new Map(
      (await hashGrouped(n.sql!, bucketSql, [digits, ...ranges])).map(b => [b.bucket as string, { rows: Number(b.rows), checksum: b.checksum as string }]),
    )))
    const differing = differingBuckets(levels[0], levels.slice(1))
    if (differing.length === 0) return result(rounds, [], null)
    const rows = Math.max(...levels.map(l => differing.reduce((n, b) => n + (l.get(b)?.rows ?? 0), 0)))
    if (rows > LIST_LIMIT && (differing.length > 64 || digits === MAX_DIGITS)) return result(rounds, [], rows)
    ranges = prefixRanges(differing)
    if (rows <= FETCH_ROWS || digits === MAX_DIGITS) {
      const fetched = await Promise.all(all.map(async n => new Map(
        (await n.sql!.unsafe(rowSql, ranges)).map(r => [r.key as string, r.hash as string]),
      )))
      return result(rounds + 1, compareRows(fetched[0], replicas.map((r, i) => [r.spec.name, fetched[i + 1]])), null)
    }
  }
}
