// PUBLICATION_TABLES as an operator writes it: the table list of CREATE PUBLICATION … FOR TABLE,
// each table optionally with a column list and a row filter (PostgreSQL 15+), e.g.
//   categories, sales."Order Lines" (id, "Sku", qty), orders WHERE (region = 'eu'), crm.*, -crm.audit
// Each table is keyed by its regclass text (table-name.ts); the filters go to the publication as
// written, and PostgreSQL itself checks them when make replicate sets the publication. A whole
// schema (crm.*) stands for its tables as the PRIMARY has them when a command runs, less the
// exclusions (-crm.audit); it is published as that list of tables (schema-tables.ts says why).
import { ReplkitError } from './errors.js'
import { canonicalTable, parseTableName, quoteIdent, sqlName } from './table-name.js'

/** What of a table the publication sends: these columns (null: all) of the rows the filter keeps (null: all). */
export interface PublishedPart {
  columns: string[] | null
  rowFilter: string | null
}

export const WHOLE_TABLE: PublishedPart = { columns: null, rowFilter: null }

export interface PublicationTables {
  /** The tables named one by one. */
  tables: string[]
  /** Only the tables published in part. */
  parts: Record<string, PublishedPart>
  /** Schemas published whole (schema.*), by name. */
  schemas: string[]
  /** Tables of those schemas left out (-schema.table). */
  excluded: string[]
}

/** Schemas PostgreSQL never publishes (FOR TABLES IN SCHEMA refuses them too). */
const SYSTEM_SCHEMA = /^(pg_.*|information_schema)$/

/** Each character outside quotes, with the parenthesis depth once it is read; a quote left open is refused. */
function* outsideQuotes(text: string): Generator<{ i: number; ch: string; depth: number }> {
  let depth = 0
  let quote: string | null = null
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quote) {
      if (ch === quote) quote = null
      continue
    }
    if (ch === '"' || ch === "'") quote = ch
    else {
      if (ch === '(') depth++
      else if (ch === ')') depth--
      yield { i, ch, depth }
    }
  }
  if (quote) throw new ReplkitError(`unbalanced quotes in "${text}"`)
}

/** The items of a comma-separated list, splitting only at commas outside quotes and parentheses. */
export function splitTopLevel(text: string): string[] {
  const items: string[] = []
  let start = 0
  let depth = 0
  for (const c of outsideQuotes(text)) {
    depth = c.depth
    if (c.ch === ',' && depth === 0) {
      items.push(text.slice(start, c.i))
      start = c.i + 1
    }
  }
  if (depth !== 0) throw new ReplkitError(`unbalanced parentheses in "${text}"`)
  items.push(text.slice(start))
  return items.map(s => s.trim()).filter(Boolean)
}

/** The parenthesised text at the start of `text` (quotes respected) and what follows it. */
function parenthesised(text: string, what: string): [inner: string, rest: string] {
  for (const c of outsideQuotes(text))
    if (c.ch === ')' && c.depth === 0) return [text.slice(1, c.i).trim(), text.slice(c.i + 1).trim()]
  throw new ReplkitError(`${what}: unbalanced parentheses`)
}

/** One item: a whole schema (schema.*), an exclusion (-schema.table) or a table. */
type Item = { schema: string } | { excluded: string } | { table: string; part: PublishedPart }

export function parsePublicationItem(item: string): Item {
  if (item.startsWith('-')) return { excluded: canonicalTable(item.slice(1)) }
  const whole = /^(.*?)\s*\.\s*\*$/.exec(item)
  if (whole) {
    const schema = parseTableName(whole[1])
    if (schema.schema !== 'public') throw new ReplkitError(`${item}: write schema.* (one schema name, then .*)`)
    if (SYSTEM_SCHEMA.test(schema.name)) throw new ReplkitError(`${item}: a system schema is never published`)
    return { schema: schema.name }
  }
  return parseTableItem(item)
}

/** A table item: its name, then an optional (column, …), then an optional WHERE (expression). */
function parseTableItem(item: string): { table: string; part: PublishedPart } {
  const name = /^(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?/.exec(item)
  let rest = name ? item.slice(name[0].length).trim() : item
  // Not a name followed by ( or WHERE: the name's own error says what is wrong with it.
  const table = canonicalTable(name && /^(\(|where\b|$)/i.test(rest) ? name[0] : item)
  let columns: string[] | null = null
  if (rest.startsWith('(')) {
    const [inner, after] = parenthesised(rest, `${table}'s column list`)
    columns = splitTopLevel(inner).map(c => parseTableName(c).name)
    if (columns.length === 0 || inner.includes('.'))
      throw new ReplkitError(`${table}'s column list: column names, comma-separated, as in (id, "Sku")`)
    rest = after
  }
  let rowFilter: string | null = null
  const where = /^where\s*(?=\()/i.exec(rest)
  if (where) {
    const [inner, after] = parenthesised(rest.slice(where[0].length), `${table}'s row filter`)
    if (!inner) throw new ReplkitError(`${table}'s row filter is empty`)
    rowFilter = inner
    rest = after
  }
  if (rest)
    throw new ReplkitError(
      `${table}: "${rest}" is neither a column list nor WHERE (expression): write table (col, …) WHERE (expression)`,
    )
  return { table, part: { columns, rowFilter } }
}

export function parsePublicationTables(value: string): PublicationTables {
  const out: PublicationTables = { tables: [], parts: {}, schemas: [], excluded: [] }
  for (const item of splitTopLevel(value).map(parsePublicationItem)) {
    const [list, key] =
      'schema' in item
        ? [out.schemas, item.schema]
        : 'excluded' in item
          ? [out.excluded, item.excluded]
          : [out.tables, item.table]
    if (list.includes(key)) throw new ReplkitError(`names ${'schema' in item ? `${key}.*` : key} twice`)
    list.push(key)
    if ('part' in item && (item.part.columns || item.part.rowFilter)) out.parts[item.table] = item.part
  }
  for (const excluded of out.excluded) {
    if (out.tables.includes(excluded)) throw new ReplkitError(`names ${excluded} and excludes it`)
    if (!out.schemas.includes(parseTableName(excluded).schema))
      throw new ReplkitError(`-${excluded} excludes a table no schema.* item publishes`)
  }
  if (out.tables.length === 0 && out.schemas.length === 0) throw new ReplkitError('names no table')
  return out
}

/** The tables a schema.* stands for, given the PRIMARY's tables in those schemas: in schema order, then by name, after the tables named one by one. */
export function withSchemaTables(
  list: Pick<PublicationTables, 'tables' | 'schemas' | 'excluded'>,
  found: { schema: string; table: string }[],
): string[] {
  const inSchemas = list.schemas.flatMap(schema =>
    found
      .filter(t => t.schema === schema)
      .map(t => t.table)
      .sort(),
  )
  return [...new Set([...list.tables, ...inSchemas])].filter(t => !list.excluded.includes(t))
}

/** The FOR TABLE list of the publication: each table as SQL names it, with its column list and row filter. */
export function publicationObjects({ tables, parts }: Pick<PublicationTables, 'tables' | 'parts'>): string {
  return tables
    .map(t => {
      const part = parts[t] ?? WHOLE_TABLE
      const columns = part.columns ? ` (${part.columns.map(quoteIdent).join(', ')})` : ''
      return `${sqlName(t)}${columns}${part.rowFilter ? ` WHERE (${part.rowFilter})` : ''}`
    })
    .join(', ')
}
