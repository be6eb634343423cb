import { chmod, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseNodeUrl } from '../scripts/lib/config.js'
import { pgpassLookup } from '../scripts/lib/pgpass.js'

const target = { host: 'db1.example', port: 5432, database: 'shop', user: 'app' }

test('the first matching line wins; * matches anything; \\: and \\\\ are escapes', () => {
  const text = [
    '# comment',
    'db2.example:5432:shop:app:other',
    'db1.example:5432:shop:app:pa\\:ss\\\\word',
    '*:*:*:*:fallback',
  ].join('\n')
  assert.is(pgpassLookup(text, target), 'pa:ss\\word')
  assert.is(pgpassLookup(text, { ...target, host: 'db9.example' }), 'fallback')
  assert.is(pgpassLookup('db1.example:6432:shop:app:x', target), undefined)
  assert.is(pgpassLookup('db1.example:5432:shop', target), undefined, 'a short line is no match')
})

test('a node URL without a password takes PGPASSWORD, else PGPASSFILE; a file others can read is ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-pgpass-'))
  const file = join(dir, 'pgpass')
  await writeFile(file, 'db1.example:5432:shop:app:from-file\n', { mode: 0o600 })
  const url = 'postgres://app@db1.example/shop'
  assert.is(parseNodeUrl(url, 'primary', 'primary', { PGPASSFILE: file }).password, 'from-file')
  assert.is(parseNodeUrl(url, 'primary', 'primary', { PGPASSFILE: file, PGPASSWORD: 'env' }).password, 'env')
  assert.is(
    parseNodeUrl('postgres://app:url@db1.example/shop', 'primary', 'primary', { PGPASSFILE: file }).password,
    'url',
  )
  await chmod(file, 0o644)
  assert.is(parseNodeUrl(url, 'primary', 'primary', { PGPASSFILE: file }).password, '')
})

test.run()
