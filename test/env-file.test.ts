// --write-env: the roles after a switchover written into .env, every other line kept.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig } from '../scripts/lib/config.js'
import { nodeVariables, withValues } from '../scripts/lib/env-file.js'
import { swapRoles } from '../scripts/lib/replication/roles.js'

const env = {
  PRIMARY_URL: 'postgres://postgres:a@127.0.0.1:1/shop',
  REPLICA_URLS: 'postgres://postgres:b@127.0.0.1:2/shop,postgres://postgres:c@127.0.0.1:3/shop?sslmode=require',
  PG_VERSIONS: '15,18,17',
}

test('after a switchover to replica1: it is PRIMARY_URL, the old PRIMARY takes its place, names and majors follow', () => {
  const configured = loadConfig(env)
  const now = swapRoles(configured, configured.replicas[0])
  assert.equal(nodeVariables(configured, now, env), {
    PRIMARY_NAME: 'replica1',
    PRIMARY_URL: 'postgres://postgres:b@127.0.0.1:2/shop',
    REPLICA_NAMES: 'primary,replica2',
    REPLICA_URLS: 'postgres://postgres:a@127.0.0.1:1/shop,postgres://postgres:c@127.0.0.1:3/shop?sslmode=require',
    PG_VERSIONS: '18,15,17',
  })
  // The file written loads back as the same roles, each node keeping its name, URL and major.
  const reloaded = loadConfig(nodeVariables(configured, now, env))
  assert.equal(
    [reloaded.primary, ...reloaded.replicas].map(n => `${n.name}@${n.port}:${reloaded.localMajors[n.name]}`),
    ['replica1@2:18', 'primary@1:15', 'replica2@3:17'],
  )
})

test('only the node variables change; other lines and comments stay; missing keys are appended', () => {
  const text = '# mine\nPRIMARY_URL=old\nSAVE_DIR=/x\n\nREPLICA_URLS=old2\n'
  assert.is(
    withValues(text, { PRIMARY_URL: 'new', REPLICA_URLS: 'new2', PRIMARY_NAME: 'replica1' }),
    '# mine\nPRIMARY_URL=new\nSAVE_DIR=/x\n\nREPLICA_URLS=new2\nPRIMARY_NAME=replica1\n',
  )
  assert.is(withValues('', { A: '1' }), 'A=1\n')
})

test.run()
