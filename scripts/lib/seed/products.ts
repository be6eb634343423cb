// products.json's records: the validation every record must pass before anything is written, and
// the COPY text of a valid one (json-records.ts reads them from the file).
import type { RawRecord } from './json-records.js'
import { ReplkitError } from '../errors.js'

export interface Product {
  sku: string
  title: string
  description: string | null
  price: number
  stock: number
  category: string
  attributes: Record<string, unknown>
}

export interface Limits {
  sku: number
  title: number
}

const FIELDS = new Set(['sku', 'title', 'description', 'price', 'stock', 'category', 'attributes'])
const MAX_PRICE = 9_999_999_999.99 // numeric(12,2)
const MAX_INT = 2_147_483_647

/** Length in characters as PostgreSQL counts them (code points, not UTF-16 units). */
function chars(text: string): number {
  return text.length <= 1 ? text.length : [...text].length
}

/** Longer than `limit` characters? Counting code points is costly, and a string no longer than
 * the limit in UTF-16 units cannot have more code points than that, so most texts need no count. */
function tooLong(text: string, limit: number): boolean {
  return text.length > limit && chars(text) > limit
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing'
  return JSON.stringify(value)?.slice(0, 40) ?? String(value)
}

type Bad = (field: string, problem: string) => void

/** A JSON object: what attributes must be (jsonb's object, not an array or null). */
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** Half of a UTF-16 surrogate pair: not a Unicode character, so it has no UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Text PostgreSQL refuses (text and jsonb alike), found here rather than by the server, so the
 * error names the record and the field, and every such record of the file is named in one run.
 */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character, which PostgreSQL text cannot hold'
  if (LONE_SURROGATE.test(text))
    return 'contains half of a UTF-16 surrogate pair (\\ud800-\\udfff), which is not Unicode text'
  return null
}

/**
 * A NUL or half a surrogate pair reaches a record's values only as a \u escape (JSON refuses a raw
 * NUL) or as a surrogate in its text (a file decoded as UTF-8 has none): a record with neither,
 * nearly every one, needs no search of each value (measured: 7% of the seed's client time).
 */
const MAY_BE_UNSTORABLE = /\\u|[\uD800-\uDFFF]/

/** Every text field and every key and string inside attributes: the first each holds that PostgreSQL refuses. */
function checkStorableTexts(record: Record<string, unknown>, bad: Bad): void {
  for (const field of ['sku', 'title', 'description']) {
    const why = typeof record[field] === 'string' ? unstorable(record[field]) : null
    if (why) bad(field, why)
  }
  if (!isObject(record.attributes)) return
  const refused = refusedJsonText(record.attributes, 'attributes')
  if (refused) bad(refused.path, refused.why)
}

/** The first key or string inside attributes (jsonb) that PostgreSQL refuses, by its path; null when none. */
function refusedJsonText(value: unknown, path: string): { path: string; why: string } | null {
  if (typeof value === 'string') {
    const why = unstorable(value)
    return why ? { path, why } : null
  }
  if (value === null || typeof value !== 'object') return null
  for (const [key, inner] of Object.entries(value)) {
    const why = unstorable(key)
    if (why) return { path: `${path} key ${JSON.stringify(key)}`, why }
    const found = refusedJsonText(inner, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`)
    if (found) return found
  }
  return null
}

function checkSku(sku: unknown, limits: Limits, bad: Bad): void {
  if (typeof sku !== 'string' || sku.trim() === '')
    return void bad('sku', `must be a non-empty string, got ${describe(sku)}`)
  if (sku !== sku.trim()) bad('sku', 'has leading or trailing spaces')
  if (sku.toUpperCase().startsWith('REPLKIT-'))
    bad('sku', 'starts with REPLKIT-, which replkit reserves for its canary rows')
  if (tooLong(sku, limits.sku)) bad('sku', `is ${chars(sku)} characters, longer than its column (${limits.sku})`)
}

function checkTitle(title: unknown, limits: Limits, bad: Bad): void {
  if (typeof title !== 'string' || title.trim() === '')
    return void bad('title', `must be a non-empty string, got ${describe(title)}`)
  if (tooLong(title, limits.title))
    bad('title', `is ${chars(title)} characters, longer than its column (${limits.title})`)
}

function checkPrice(price: unknown, bad: Bad): void {
  if (typeof price !== 'number' || !Number.isFinite(price))
    return void bad('price', `must be a number, got ${describe(price)}`)
  if (price < 0) bad('price', `must not be negative, got ${price}`)
  else if (price > MAX_PRICE) bad('price', `is too large for numeric(12,2), got ${price}`)
  else if (Math.abs(Math.round(price * 100) - price * 100) > 1e-6)
    bad('price', `has more than 2 decimal places, got ${price}`)
}

/** Checks one record; the error names file, line, record index, sku and every faulty field. */
export function validateProduct(
  raw: RawRecord,
  file: string,
  limits: Limits,
  categories: ReadonlySet<string>,
): Product {
  let value: unknown
  try {
    value = JSON.parse(raw.text)
  } catch (error) {
    throw new ReplkitError(`${file}:${raw.line}: malformed JSON in record [${raw.index}]: ${(error as Error).message}`)
  }
  const record = value as Record<string, unknown>
  // Every problem of the record, in one line: each field is checked on its own.
  const problems: string[] = []
  const bad = (field: string, problem: string) => problems.push(`${field} ${problem}`)
  for (const key of Object.keys(record))
    if (!FIELDS.has(key)) bad(key, 'is not a known field (sku, title, description, price, stock, category, attributes)')
  const { sku, title, description, price, stock, category, attributes } = record
  checkSku(sku, limits, bad)
  checkTitle(title, limits, bad)
  if (description !== undefined && description !== null && typeof description !== 'string')
    bad('description', `must be a string, got ${describe(description)}`)
  checkPrice(price, bad)
  if (typeof stock !== 'number' || !Number.isInteger(stock)) bad('stock', `must be an integer, got ${describe(stock)}`)
  else if (stock < 0) bad('stock', `must not be negative, got ${stock}`)
  else if (stock > MAX_INT) bad('stock', `is too large for integer, got ${stock}`)
  if (typeof category !== 'string' || category === '')
    bad('category', `must be a category slug, got ${describe(category)}`)
  else if (!categories.has(category))
    bad('category', `"${category}" is not a known category (${[...categories].sort().join(', ')})`)
  if (attributes !== undefined && !isObject(attributes))
    bad('attributes', `must be an object, got ${describe(attributes)}`)
  if (MAY_BE_UNSTORABLE.test(raw.text)) checkStorableTexts(record, bad)
  if (problems.length) {
    const skuText = typeof sku === 'string' && sku.trim() ? ` (sku "${sku}")` : ''
    throw new ReplkitError(`${file}:${raw.line}: record [${raw.index}]${skuText}: ${problems.join('; ')}`)
  }
  const skuValue = sku as string
  const priceValue = price as number
  return {
    sku: skuValue,
    title: title as string,
    description: (description as string | undefined) ?? null,
    price: priceValue,
    stock: stock as number,
    category: category as string,
    attributes: (attributes as Record<string, unknown> | undefined) ?? {},
  }
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const COPY_SPECIAL = /[\\\n\r\t]/

/** Most values need no escaping: testing first skips the replace (and its callback) for them. */
function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, c => COPY_ESCAPES[c]) : value
}

/** A product's columns in COPY text format (sku, title, description, price, stock, category, attributes), tab-separated; category as given (its slug for staging, its id for products). */
function copyFields(p: Product, category: string): string {
  return `${copyText(p.sku)}\t${copyText(p.title)}\t${copyText(p.description)}\t${p.price.toFixed(2)}\t${p.stock}\t${copyText(category)}\t${copyText(JSON.stringify(p.attributes))}`
}

/**
 * Into empty tables (seed.ts): the product's row of products, its id chosen here and its category
 * as the category's id (id, sku, title, description, price, stock, category_id, attributes).
 */
export function productRowLine(id: string, p: Product, categoryId: string): string {
  return `${id}\t${copyFields(p, categoryId)}\n`
}

/** Its inventory row (product_id, warehouse, quantity): all of its stock in warehouse 'main', as the upsert path writes it (045). */
export function inventoryRowLine(id: string, p: Product): string {
  return `${id}\tmain\t${p.stock}\n`
}

/** One line for the seed's staging table: the product's columns, then where it is in the file (record index, line). */
export function stagingLine(p: Product, raw: RawRecord): string {
  return `${copyFields(p, p.category)}\t${raw.index}\t${raw.line}\n`
}
