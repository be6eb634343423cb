// A replicated table's name as replkit prints and keys it: PostgreSQL's own regclass output with
// search_path = public — "products" in public, "sales.orders" elsewhere, each part double-quoted
// when it needs it ("Mixed Case", a reserved word). SQL text takes sqlName(): always qualified.
// quoteIdent is the one way replkit quotes an identifier (a column, an index, a role).
import { ReplkitError } from './errors.js'

/**
 * The words quote_ident quotes on PostgreSQL 15 to 18 (pg_get_keywords() with catcode <> 'U', 15's
 * list and what 16 and 17 added); test/integration checks the server's list is inside it.
 */
export const QUOTED_KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case ' +
    'cast char character check coalesce collate collation column concurrently constraint create cross ' +
    'current_catalog current_date current_role current_schema current_time current_timestamp current_user dec ' +
    'decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign ' +
    'freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect ' +
    'interval into is isnull json_array json_arrayagg json_exists json_object json_objectagg json_query ' +
    'json_scalar json_serialize json_table json_value join lateral leading least left like limit localtime localtimestamp national natural ' +
    'merge_action nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay ' +
    'placing position precision primary real references returning right row select session_user setof similar ' +
    'smallint some substring symmetric system_user table tablesample then time timestamp to trailing treat trim true union ' +
    'unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement ' +
    'xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable'
  ).split(' '),
)

export interface TableName {
  schema: string
  name: string
}

/** One identifier as quote_ident prints it: bare when lower-case and not a reserved word. */
export const quoteIdent = (part: string) =>
  /^[a-z_][a-z0-9_$]*$/.test(part) && !QUOTED_KEYWORDS.has(part) ? part : `"${part.replaceAll('"', '""')}"`

/** Always qualified: the form SQL text is built from, whatever the session's search_path. */
export const sqlName = (table: string) => qualifiedName(parseTableName(table))

/** schema.table with each part quoted as SQL needs: for SQL text and for what an operator pastes. */
export const qualifiedName = ({ schema, name }: TableName) => `${quoteIdent(schema)}.${quoteIdent(name)}`

/** The name replkit prints and keys a table by (a schema other than public is written out). */
export const tableText = (table: TableName) =>
  table.schema === 'public' ? quoteIdent(table.name) : qualifiedName(table)

/**
 * A table as a person writes it, with SQL's rules (parse_ident): unquoted parts fold to lower
 * case, double-quoted parts keep their case, spaces and dots; one part is a table in public.
 */
export function parseTableName(text: string): TableName {
  const refused = new ReplkitError(`table "${text}": not a table name (schema.table, quoted where needed)`)
  const parts: string[] = []
  let rest = text.trim()
  while (true) {
    const quoted = /^"((?:[^"]|"")+)"/.exec(rest)
    const bare = quoted ? null : /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest)
    if (!quoted && !bare) throw refused
    parts.push(quoted ? quoted[1].replaceAll('""', '"') : bare![0].toLowerCase())
    rest = rest.slice((quoted ?? bare)![0].length).trimStart()
    if (rest === '') break
    if (!rest.startsWith('.') || parts.length === 2) throw refused
    rest = rest.slice(1).trimStart()
  }
  return parts.length === 1 ? { schema: 'public', name: parts[0] } : { schema: parts[0], name: parts[1] }
}

/** The name replkit keys a table by, from the way a person wrote it. */
export const canonicalTable = (text: string) => tableText(parseTableName(text))

/** A file named after a table: a quoted name may hold any character, so only letters, digits, dots and dashes are kept. */
export const fileNameOf = (table: string) => table.replace(/[^\w.-]+/g, '_')
