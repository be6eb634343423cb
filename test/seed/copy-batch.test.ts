import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CopyBatch } from '../../scripts/lib/seed/copy-batch.js'

test('a batch holds exactly the UTF-8 of its lines, in order, across chunk boundaries, and counts their bytes', () => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `SKU-${i}\tCrème brûlée 東京 🔥 ${'x'.repeat(i % 97)}\t${i}\n`)
  const batch = new CopyBatch()
  for (const line of lines) batch.add(line)
  assert.is(batch.records, lines.length)
  assert.is(batch.bytes, Buffer.byteLength(lines.join(''), 'utf8'))
  const chunks = batch.end()
  assert.ok(chunks.length > 1, 'the lines span more than one chunk')
  assert.ok(Buffer.concat(chunks).equals(Buffer.from(lines.join(''), 'utf8')))
})

test('a line longer than a chunk is kept whole', () => {
  const long = `${'é'.repeat(600_000)}\n`
  const batch = new CopyBatch()
  batch.add('a\n')
  batch.add(long)
  batch.add('b\n')
  assert.is(Buffer.concat(batch.end()).toString('utf8'), `a\n${long}b\n`)
})

test('an empty batch has no bytes', () => {
  assert.equal(new CopyBatch().end(), [])
})

test.run()
