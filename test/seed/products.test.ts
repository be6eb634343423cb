import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ReplkitError } from '../../scripts/lib/errors.js'
import { type RawRecord, readRecords } from '../../scripts/lib/seed/json-records.js'
import { inventoryRowLine, productRowLine, stagingLine, validateProduct } from '../../scripts/lib/seed/products.js'

const limits = { sku: 64, title: 200 }
const categories = new Set(['books', 'outdoor'])
const good = {
  sku: 'BOOK-1',
  title: 'Don\'t Panic — "quoted"',
  description: 'x',
  price: 12.5,
  stock: 3,
  category: 'books',
}

async function records(text: string, chunkSize = 7): Promise<RawRecord[]> {
  async function* chunks() {
    for (let i = 0; i < text.length; i += chunkSize) yield text.slice(i, i + chunkSize)
  }
  const out: RawRecord[] = []
  for await (const some of readRecords(chunks(), 'p.json')) out.push(...some)
  return out
}

async function readError(text: string): Promise<string> {
  try {
    await records(text)
  } catch (error) {
    assert.instance(error, ReplkitError)
    return (error as Error).message
  }
  throw new Error('expected a malformed-JSON error')
}

function validationError(record: unknown, line = 3): string {
  try {
    validateProduct({ text: JSON.stringify(record), index: 4, line }, 'p.json', limits, categories)
  } catch (error) {
    assert.instance(error, ReplkitError)
    return (error as Error).message
  }
  throw new Error('expected a validation error')
}

test('streams records across chunk boundaries, with braces and quotes inside strings', async () => {
  const text = '[\n {"sku":"A","title":"a } ] { \\" x"},\n {"sku":"B","attributes":{"k":[1,{"z":2}]}}\n]\n'
  const got = await records(text, 3)
  assert.equal(
    got.map(r => JSON.parse(r.text).sku),
    ['A', 'B'],
  )
  assert.equal(
    got.map(r => r.line),
    [2, 3],
  )
})

test('an empty array has no records', async () => {
  assert.equal(await records('  [ ]  '), [])
})

test('malformed JSON is reported with file and line', async () => {
  assert.match(await readError('{"sku":"A"}'), /p\.json:1: the top level must be a JSON array/)
  assert.match(await readError('[{"sku":"A"},\n]'), /p\.json:2: malformed JSON: trailing comma/)
  assert.match(
    await readError('[{"sku":"A"}\n{"sku":"B"}]'),
    /p\.json:2: malformed JSON: expected , or \] after record \[0\]/,
  )
  assert.match(await readError('[{"sku":"A"}'), /unexpected end of file/)
  assert.match(await readError('[{"sku":"A"}] x'), /unexpected content after the closing \]/)
  assert.match(await readError('[1]'), /record \[0\] is not an object/)
  assert.match(await readError(''), /the file is empty/)
})

test('a syntax error inside a record names the record and line', () => {
  try {
    validateProduct({ text: '{"sku": "A", "price": 1.2.3}', index: 7, line: 9 }, 'p.json', limits, categories)
    assert.unreachable()
  } catch (error) {
    assert.match((error as Error).message, /^p\.json:9: malformed JSON in record \[7\]/)
  }
})

test('a good record passes and defaults optional fields', () => {
  const p = validateProduct({ text: JSON.stringify(good), index: 0, line: 1 }, 'p.json', limits, categories)
  assert.equal(p.attributes, {})
  assert.is(p.price, 12.5)
})

test('each bad field gets one line naming file, line, record, sku and field', () => {
  assert.is(
    validationError({ ...good, price: -1 }),
    'p.json:3: record [4] (sku "BOOK-1"): price must not be negative, got -1',
  )
  assert.match(validationError({ ...good, sku: '' }), /record \[4\]: sku must be a non-empty string/)
  assert.match(validationError({ ...good, sku: undefined }), /sku must be a non-empty string, got missing/)
  assert.match(validationError({ ...good, price: '12' }), /price must be a number, got "12"/)
  assert.match(validationError({ ...good, price: undefined }), /price must be a number, got missing/)
  assert.match(validationError({ ...good, price: 1.234 }), /price has more than 2 decimal places/)
  assert.match(validationError({ ...good, stock: 1.5 }), /stock must be an integer/)
  assert.match(validationError({ ...good, stock: -2 }), /stock must not be negative/)
  assert.match(
    validationError({ ...good, category: 'toys' }),
    /category "toys" is not a known category \(books, outdoor\)/,
  )
  assert.match(validationError({ ...good, category: undefined }), /category must be a category slug, got missing/)
  assert.match(
    validationError({ ...good, title: 'x'.repeat(201) }),
    /title is 201 characters, longer than its column \(200\)/,
  )
  assert.match(validationError({ ...good, attributes: [1] }), /attributes must be an object/)
  assert.match(validationError({ ...good, prcie: 1 }), /prcie is not a known field/)
  assert.match(
    validationError({ ...good, sku: 'REPLKIT-CANARY-1' }),
    /sku starts with REPLKIT-, which replkit reserves/,
  )
})

test('text PostgreSQL refuses is named before it reaches the server: NUL, half a surrogate pair, also inside attributes', () => {
  assert.match(validationError({ ...good, title: 'a\u0000b' }), /title contains a NUL character/)
  assert.match(
    validationError({ ...good, description: 'x\ud800y' }),
    /description contains half of a UTF-16 surrogate pair/,
  )
  assert.match(
    validationError({ ...good, attributes: { tags: ['ok', 'a\u0000b'] } }),
    /attributes\.tags\[1\] contains a NUL character/,
  )
  assert.match(
    validationError({ ...good, attributes: { 'k\udc00': 1 } }),
    /attributes key "k\\udc00" contains half of a UTF-16 surrogate pair/,
  )
  // Not escaped in the record's text (a caller that did not decode a file) is found the same.
  const unescaped = `{"sku":"B-1","title":"a\ud800","price":1,"stock":1,"category":"books"}`
  assert.throws(
    () => validateProduct({ text: unescaped, index: 0, line: 1 }, 'p.json', limits, categories),
    /title contains half of a UTF-16 surrogate pair/,
  )
  // A whole pair (an emoji) is Unicode text.
  const emoji = { ...good, title: 'ok 😀', attributes: { e: '😀' } }
  assert.is(
    validateProduct({ text: JSON.stringify(emoji), index: 0, line: 1 }, 'p.json', limits, categories).title,
    'ok 😀',
  )
})

test('a record with several faults names every one of them in its one line', () => {
  assert.is(
    validationError({ ...good, price: -1, stock: 1.5, category: 'toys' }),
    'p.json:3: record [4] (sku "BOOK-1"): price must not be negative, got -1; stock must be an integer, got 1.5; category "toys" is not a known category (books, outdoor)',
  )
})

test('titles are measured in characters, as PostgreSQL counts them', () => {
  const emoji = '🛶'.repeat(200) // 400 UTF-16 units, 200 characters
  const p = validateProduct(
    { text: JSON.stringify({ ...good, title: emoji }), index: 0, line: 1 },
    'p.json',
    limits,
    categories,
  )
  assert.is(p.title, emoji)
})

test('COPY lines escape tabs, newlines and backslashes and write NULL as \\N', () => {
  const p = {
    sku: 'A\tB',
    title: 'x\ny\\z',
    description: null,
    price: 3,
    stock: 1,
    category: 'books',
    attributes: { a: 1 },
  }
  assert.is(productRowLine('id-1', p, 'cat-1'), 'id-1\tA\\tB\tx\\ny\\\\z\t\\N\t3.00\t1\tcat-1\t{"a":1}\n')
  assert.is(inventoryRowLine('id-1', p), 'id-1\tmain\t1\n')
})

test('staging lines end with where the record is in the file: record index, then line', () => {
  const p = { sku: 'A', title: 'T', description: null, price: 3, stock: 1, category: 'books', attributes: {} }
  assert.is(stagingLine(p, { text: '', index: 7, line: 12 }), 'A\tT\t\\N\t3.00\t1\tbooks\t{}\t7\t12\n')
})

test.run()
