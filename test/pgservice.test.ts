// libpq's service file: a service named in the URL (or PGSERVICE) fills what the URL leaves out;
// the URL wins; a service in neither file is one line naming both files.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseNodeUrl } from '../scripts/lib/config.js'
import { serviceIn } from '../scripts/lib/pgservice.js'

const FILE = [
  '# shop nodes',
  '[shop-primary]',
  'host=db1.example',
  'port=6432',
  'dbname=shop',
  'user=app',
  'sslmode=verify-full',
  '',
  '[other]',
  'host=elsewhere',
].join('\n')

test('a service is the key=value lines under its [name], up to the next section', () => {
  assert.equal(serviceIn(FILE, 'shop-primary'), {
    host: 'db1.example',
    port: '6432',
    dbname: 'shop',
    user: 'app',
    sslmode: 'verify-full',
  })
  assert.equal(serviceIn(FILE, 'other'), { host: 'elsewhere' })
  assert.is(serviceIn(FILE, 'nope'), null)
})

test('?service= and PGSERVICE fill a node from PGSERVICEFILE; the URL wins; an unknown service is refused by name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-pgservice-'))
  const file = join(dir, 'pg_service.conf')
  await writeFile(file, FILE)
  const env = { PGSERVICEFILE: file, PGSYSCONFDIR: dir }
  const node = parseNodeUrl('postgres:///?service=shop-primary', 'primary', 'primary', env)
  assert.equal(
    [node.host, node.port, node.database, node.user, node.sslmode],
    ['db1.example', 6432, 'shop', 'app', 'verify-full'],
  )
  const fromEnv = parseNodeUrl('postgres://admin@db2.example/?sslmode=require', 'primary', 'primary', {
    ...env,
    PGSERVICE: 'shop-primary',
  })
  assert.equal(
    [fromEnv.host, fromEnv.port, fromEnv.database, fromEnv.user, fromEnv.sslmode],
    ['db2.example', 6432, 'shop', 'admin', 'require'],
  )
  assert.throws(
    () => parseNodeUrl('postgres:///?service=nope', 'primary', 'primary', env),
    (e: Error) =>
      e.message === `config: PRIMARY_URL: service "nope" is not defined in ${file} or ${join(dir, 'pg_service.conf')}`,
  )
})

test.run()
