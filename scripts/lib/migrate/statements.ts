// make migrate's reading of a DDL file: split into statements, each classified by the change it
// makes. Logical replication does not carry DDL, and applies rows by column name: the kind of a
// change decides on which nodes it runs first so that apply never stops (plan.ts). A statement of a
// kind it does not know, or one that cannot be applied safely under a live subscription, is a
// refusal with the reason and the manual procedure — before anything runs.

export type ChangeKind =
  | 'add-column'
  | 'drop-column'
  | 'alter-type'
  | 'create-index'
  | 'drop-index'
  | 'add-constraint'
  | 'drop-constraint'
  | 'create-table'
  | 'drop-table'

export interface Change {
  kind: ChangeKind
  /** The statement as written (without its semicolon). */
  sql: string
  /** The table it changes, as written (unqualified names are in public). */
  table: string
  /** The column, index or constraint it names, unquoted. */
  object: string
  /** alter-type: the new type as written; add-column: the column's definition after its name. */
  detail?: string
}

export interface Refusal {
  sql: string
  why: string
}

/** Splits on semicolons outside quotes, dollar-quoted bodies and comments; blank statements dropped. */
export function splitStatements(text: string): string[] {
  const out: string[] = []
  let current = ''
  let i = 0
  while (i < text.length) {
    const rest = text.slice(i)
    const skip =
      /^--[^\n]*/.exec(rest)?.[0] ??
      /^\/\*[\s\S]*?\*\//.exec(rest)?.[0] ??
      /^'(?:[^']|'')*'/.exec(rest)?.[0] ??
      /^"(?:[^"]|"")*"/.exec(rest)?.[0] ??
      dollarQuoted(rest)
    if (skip) {
      if (!skip.startsWith('--') && !skip.startsWith('/*')) current += skip
      else current += ' '
      i += skip.length
      continue
    }
    if (text[i] === ';') {
      out.push(current)
      current = ''
    } else current += text[i]
    i++
  }
  out.push(current)
  return out.map(s => s.replace(/\s+/g, ' ').trim()).filter(Boolean)
}

function dollarQuoted(rest: string): string | null {
  const tag = /^\$[A-Za-z_]*\$/.exec(rest)?.[0]
  if (!tag) return null
  const end = rest.indexOf(tag, tag.length)
  return end < 0 ? rest : rest.slice(0, end + tag.length)
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`
const QNAME = String.raw`${NAME}(?:\.${NAME})?`
const TABLE = String.raw`ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(${QNAME})`

/** A name as PostgreSQL folds it: quoted kept, unquoted lower-cased. */
export const unquote = (name: string) =>
  name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase()

/**
 * A default that is not a constant: a function call (now(), random(), nextval(…)) or one of SQL's
 * keyword functions (current_timestamp, current_user …). Its value may differ per node or per row.
 */
const NOT_A_CONSTANT = /\b[A-Za-z_][\w.]*\s*\(|\b(?:current_\w+|localtime(?:stamp)?|session_user|user)\b/i

const RENAME =
  'a RENAME under a live subscription stops apply: the replicas apply rows by table and column name. Do it by hand: add the new name (ADD COLUMN, or a new table) with make migrate, copy the data on the PRIMARY, move the application, then drop the old name with make migrate'

type Rule = [RegExp, (m: RegExpExecArray, sql: string) => Change | Refusal]

const RULES: Rule[] = [
  [new RegExp(String.raw`^${TABLE} RENAME `, 'i'), (_m, sql) => ({ sql, why: RENAME })],
  [/^ALTER (?:INDEX|SEQUENCE|VIEW) .* RENAME /i, (_m, sql) => ({ sql, why: RENAME })],
  [
    new RegExp(String.raw`^${TABLE} ADD (?:COLUMN )?(?:IF NOT EXISTS )?(${NAME}) (.+)$`, 'i'),
    (m, sql) => addColumn(m, sql),
  ],
  [
    new RegExp(String.raw`^${TABLE} DROP (?:COLUMN )?(?:IF EXISTS )?(${NAME})(?: (?:CASCADE|RESTRICT))?$`, 'i'),
    (m, sql) => (/^constraint$/i.test(m[2]) ? { sql, why: 'unreadable' } : change('drop-column', sql, m[1], m[2])),
  ],
  [
    new RegExp(String.raw`^${TABLE} ALTER (?:COLUMN )?(${NAME}) (?:SET DATA )?TYPE (.+)$`, 'i'),
    (m, sql) =>
      /\bUSING\b|\bCOLLATE\b/i.test(m[3])
        ? { sql, why: 'a type change with USING or COLLATE rewrites values differently per node: do it by hand' }
        : { ...change('alter-type', sql, m[1], m[2]), detail: m[3].trim() },
  ],
  [
    new RegExp(String.raw`^${TABLE} ADD CONSTRAINT (${NAME}) (.+)$`, 'i'),
    (m, sql) => change('add-constraint', sql, m[1], m[2]),
  ],
  [
    new RegExp(String.raw`^${TABLE} DROP CONSTRAINT (?:IF EXISTS )?(${NAME})(?: (?:CASCADE|RESTRICT))?$`, 'i'),
    (m, sql) => change('drop-constraint', sql, m[1], m[2]),
  ],
  [
    new RegExp(
      String.raw`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(${NAME}) ON (?:ONLY )?(${QNAME})`,
      'i',
    ),
    (m, sql) => change('create-index', sql, m[2], m[1]),
  ],
  [
    new RegExp(String.raw`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(${QNAME})(?: (?:CASCADE|RESTRICT))?$`, 'i'),
    (m, sql) => change('drop-index', sql, '', m[1]),
  ],
  [
    new RegExp(String.raw`^CREATE TABLE (?:IF NOT EXISTS )?(${QNAME}) ?\(`, 'i'),
    (m, sql) => change('create-table', sql, m[1], m[1]),
  ],
  [
    new RegExp(String.raw`^DROP TABLE (?:IF EXISTS )?(${QNAME})(?: (?:CASCADE|RESTRICT))?$`, 'i'),
    (m, sql) => change('drop-table', sql, m[1], m[1]),
  ],
]

function change(kind: ChangeKind, sql: string, table: string, object: string): Change {
  return { kind, sql, table, object: unquote(object.split('.').pop()!) }
}

function addColumn(m: RegExpExecArray, sql: string): Change | Refusal {
  const definition = m[3]
  const def = /\bDEFAULT (.+?)(?: (?:NOT NULL|NULL|CHECK|REFERENCES|UNIQUE|PRIMARY|CONSTRAINT|GENERATED)\b|$)/i.exec(
    definition,
  )?.[1]
  if (/^constraint$/i.test(m[2])) return { sql, why: 'unreadable' }
  if (def && NOT_A_CONSTANT.test(def.replace(/'(?:[^']|'')*'/g, "''")))
    return {
      sql,
      why: `its DEFAULT ${def} is not a constant: each node would fill the rows it already holds with its own values. Add the column without a default (or a constant one), set the values on the PRIMARY (they replicate), then SET DEFAULT with make migrate`,
    }
  if (/\bNOT NULL\b/i.test(definition) && !def)
    return {
      sql,
      why: 'NOT NULL without a DEFAULT fails on every table that holds rows: add it with a constant DEFAULT, or nullable, fill it on the PRIMARY, then SET NOT NULL by hand',
    }
  return { ...change('add-column', sql, m[1], m[2]), detail: definition }
}

/** Each statement as a change, or as a refusal with its reason. */
export function classify(sql: string): Change | Refusal {
  if (/,(?![^(]*\))/.test(sql) && /^ALTER TABLE/i.test(sql))
    return { sql, why: 'one change per ALTER TABLE statement: each action may need its own order across the nodes' }
  for (const [pattern, make] of RULES) {
    const m = pattern.exec(sql)
    if (!m) continue
    const made = make(m, sql)
    // ADD CONSTRAINT and DROP CONSTRAINT also read as a column named "constraint": the next rule has them.
    if ('why' in made && made.why === 'unreadable') continue
    return made
  }
  return {
    sql,
    why: 'not a change make migrate knows how to order (ADD/DROP COLUMN, ALTER COLUMN TYPE, ADD/DROP CONSTRAINT, CREATE/DROP INDEX, CREATE/DROP TABLE): run it by hand on every node, in the order that keeps apply running',
  }
}

export const isRefusal = (c: Change | Refusal): c is Refusal => 'why' in c
