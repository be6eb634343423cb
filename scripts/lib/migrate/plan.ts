// make migrate's plan: each change in the order across the nodes that never stops apply. The
// replicas apply the PRIMARY's rows by column name, so:
// - what the PRIMARY's rows may soon need (a new column, a wider type, a new table or index, a
//   constraint fewer) goes on every replica first, then on the PRIMARY;
// - what the PRIMARY's rows may soon lack (a column dropped, a constraint more) goes on the
//   PRIMARY first, then on the replicas once they applied past it. A NOT NULL on a column to be
//   dropped is relaxed on the replicas before anything, or the PRIMARY's rows without it would stop apply.
import { type Config, publishesTable } from '../config.js'
import type { Change, ChangeKind, Refusal } from './statements.js'
import { canonicalTable, quoteIdent } from '../table-name.js'

export type Where = 'replicas' | 'primary'

export interface Phase {
  where: Where
  sql: string
  /** The replicas first apply everything the PRIMARY committed (a subtractive change's second half). */
  afterApplied: boolean
  why: string
}

export interface PlannedChange {
  change: Change
  phases: Phase[]
  /** A new table that PUBLICATION_TABLES names: published and copied once after every change ran. */
  publish: boolean
}

/** Whether a change creates a table the configuration publishes. */
export const publishes = (change: Change, config: Config) =>
  change.kind === 'create-table' && publishesTable(config, canonicalTable(change.table))

const REPLICAS_FIRST: Partial<Record<ChangeKind, string>> = {
  'add-column': "additive: every replica can take the column before the PRIMARY's rows carry it",
  'alter-type': "a wider type: every replica can hold the PRIMARY's new values before it writes one",
  'create-table': 'a new table: it exists everywhere before anything is written to it',
  'create-index': 'an index: on the replicas first, so none lacks it once the PRIMARY relies on it',
  'drop-index': 'an index: not part of what replicates; the replicas first',
  'drop-constraint': "one constraint fewer: the replicas accept the PRIMARY's rows that it allowed before they arrive",
}

const PRIMARY_FIRST: Partial<Record<ChangeKind, string>> = {
  'drop-column':
    'subtractive: the PRIMARY stops sending the column, then the replicas drop it once they applied past that point',
  'add-constraint':
    "one constraint more: the PRIMARY's rows satisfy it from then on, and the replicas hold the same rows once they applied past that point",
  'drop-table': 'an unpublished table: the PRIMARY first, then the replicas',
}

/** The phases of one change (plan-time refusals come from refuseUnsafe). */
export function phasesOf(change: Change): Phase[] {
  const replicasFirst = REPLICAS_FIRST[change.kind]
  if (replicasFirst)
    return [
      { where: 'replicas', sql: change.sql, afterApplied: false, why: replicasFirst },
      { where: 'primary', sql: change.sql, afterApplied: false, why: replicasFirst },
    ]
  const why = PRIMARY_FIRST[change.kind]!
  const relax: Phase[] =
    change.kind === 'drop-column'
      ? [
          {
            where: 'replicas',
            sql: `ALTER TABLE ${change.table} ALTER COLUMN ${quoteIdent(change.object)} DROP NOT NULL`,
            afterApplied: false,
            why: 'rows the PRIMARY writes without the column must still fit on the replicas until they drop it',
          },
        ]
      : []
  return [
    ...relax,
    { where: 'primary', sql: change.sql, afterApplied: false, why },
    { where: 'replicas', sql: change.sql, afterApplied: true, why },
  ]
}

/**
 * The statement that takes a change back, for a run that failed part-way; make migrate orders it
 * like any other. Null where nothing can: a dropped column's or table's rows are gone, a narrowing
 * is refused, and a dropped index or constraint is not known from its name alone.
 */
export function inverseOf(change: Change): string | null {
  const schema = change.table.match(/^("(?:[^"]|"")+"|[^."]+)\./)?.[0] ?? ''
  switch (change.kind) {
    case 'add-column':
      return `ALTER TABLE ${change.table} DROP COLUMN IF EXISTS ${quoteIdent(change.object)}`
    case 'create-index':
      return `DROP INDEX IF EXISTS ${schema}${quoteIdent(change.object)}`
    case 'add-constraint':
      return `ALTER TABLE ${change.table} DROP CONSTRAINT IF EXISTS ${quoteIdent(change.object)}`
    case 'create-table':
      return `DROP TABLE IF EXISTS ${change.table}`
    default:
      return null
  }
}

/** What the catalogue of the PRIMARY says about a change, for the checks before anything runs. */
export interface PrimaryState {
  /** alter-type: the column's current type (format_type), or null when it does not exist. */
  currentType: string | null
}

/** Changes that parse but must not run here: a narrowing type, a published table dropped. */
export function refuseUnsafe(change: Change, config: Config, state: PrimaryState): Refusal | null {
  const table = change.kind === 'drop-table' ? canonicalTable(change.table) : null
  if (table !== null && config.tables.includes(table))
    return {
      sql: change.sql,
      why: `${table} is published: remove it from PUBLICATION_TABLES, make replicate (which stops publishing it and refreshes the subscriptions), then make migrate drops it`,
    }
  if (change.kind === 'alter-type') {
    if (state.currentType === null)
      return { sql: change.sql, why: `the PRIMARY has no column ${change.object} in ${change.table}` }
    const widening = widens(state.currentType, change.detail!)
    if (widening === false)
      return {
        sql: change.sql,
        why: `${state.currentType} → ${change.detail} is not a widening: values the PRIMARY holds or the replicas apply could stop fitting. Add a new column with make migrate, copy the values on the PRIMARY, then drop the old one`,
      }
  }
  return null
}

const ALIASES: Record<string, string> = {
  int2: 'smallint',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  float: 'double precision',
  decimal: 'numeric',
  'character varying': 'varchar',
}

interface Type {
  base: string
  mods: number[]
}

function parseType(text: string): Type {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ')
  const m = /^([a-z ]+?)\s*(?:\(([\d ,]+)\))?$/.exec(t)
  const base = m ? m[1].trim() : t
  return { base: ALIASES[base] ?? base, mods: m?.[2] ? m[2].split(',').map(Number) : [] }
}

const INTEGERS = ['smallint', 'integer', 'bigint']

/** from → to keeps every value (true), is the same type ('same'), or may not (false). */
export function widens(from: string, to: string): boolean | 'same' {
  const a = parseType(from)
  const b = parseType(to)
  if (a.base === b.base && a.mods.join() === b.mods.join()) return 'same'
  if (INTEGERS.includes(a.base) && INTEGERS.includes(b.base))
    return INTEGERS.indexOf(b.base) >= INTEGERS.indexOf(a.base)
  if (INTEGERS.includes(a.base) && b.base === 'numeric') return b.mods.length === 0
  if (a.base === 'real' && b.base === 'double precision') return true
  if (a.base === 'varchar' && b.base === 'text') return true
  if (a.base === 'varchar' && b.base === 'varchar')
    return b.mods.length === 0 || (a.mods.length > 0 && b.mods[0] >= a.mods[0])
  if (a.base === 'numeric' && b.base === 'numeric') {
    if (b.mods.length === 0) return true
    if (a.mods.length === 0) return false
    const [p1, s1 = 0] = a.mods
    const [p2, s2 = 0] = b.mods
    return s2 === s1 && p2 >= p1
  }
  return false
}
