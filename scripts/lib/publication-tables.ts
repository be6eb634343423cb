// PUBLICATION_TABLES as an operator writes it: the table list of CREATE PUBLICATION … FOR TABLE,
// each table optionally with a column list and a row filter (PostgreSQL 15+), e.g.
//   categories, sales."Order Lines" (id, "Sku", qty), orders WHERE (region = 'eu')
// Each table is keyed by its regclass text (table-name.ts); the filters go to the publication as
// written, and PostgreSQL itself checks them when make replicate sets the publication.
import { ReplkitError } from './errors.js'
import { canonicalTable, parseTableName, quoteIdent, sqlName } from './table-name.js'

/** What of a table the publication sends: these columns (null: all) of the rows the filter keeps (null: all). */
export interface PublishedPart {
  columns: string[] | null
  rowFilter: string | null
}

export const WHOLE_TABLE: PublishedPart = { columns: null, rowFilter: null }

export interface PublicationTables {
  tables: string[]
  /** Only the tables published in part. */
  parts: Record<string, PublishedPart>
}

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

/** One item: table name, then an optional (column, …), then an optional WHERE (expression). */
export function parsePublicationItem(item: string): { table: string; part: PublishedPart } {
  if (/\.\s*\*$/.test(item))
    throw new ReplkitError(`${item} (a whole schema) is not supported; name its tables (schema.table)`)
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
  const out: PublicationTables = { tables: [], parts: {} }
  for (const item of splitTopLevel(value)) {
    const { table, part } = parsePublicationItem(item)
    if (out.tables.includes(table)) throw new ReplkitError(`names ${table} twice`)
    out.tables.push(table)
    if (part.columns || part.rowFilter) out.parts[table] = part
  }
  if (out.tables.length === 0) throw new ReplkitError('names no table')
  return out
}

/** The FOR TABLE list of the publication: each table as SQL names it, with its column list and row filter. */
export function publicationObjects({ tables, parts }: PublicationTables): string {
  return tables
    .map(t => {
      const part = parts[t] ?? WHOLE_TABLE
      const columns = part.columns ? ` (${part.columns.map(quoteIdent).join(', ')})` : ''
      return `${sqlName(t)}${columns}${part.rowFilter ? ` WHERE (${part.rowFilter})` : ''}`
    })
    .join(', ')
}
