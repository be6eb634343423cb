// Docker cannot run here, so the compose file is checked against config/ by reading it.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import dotenv from 'dotenv'
import { parse } from 'yaml'
import { loadConfig, repoRoot } from '../../scripts/lib/config.js'

interface Service {
  image: string
  ports: string[]
  volumes: string[]
  environment: Record<string, string>
}
const compose = parse(await readFile(join(repoRoot, 'docker/compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>
}
// The example file alone: a worktree's own .env (other ports) must not change what is compared.
const config = loadConfig(dotenv.parse(await readFile(join(repoRoot, 'config/.env.example'))))
const nodes = [config.primary, ...config.replicas]

test('compose runs the same nodes as the local cluster, on the same loopback ports', () => {
  assert.equal(
    Object.keys(compose.services),
    nodes.map(n => n.name),
  )
  for (const node of nodes) {
    assert.equal(compose.services[node.name].ports, [`127.0.0.1:${node.port}:5432`], node.name)
  }
})

test('compose uses PostgreSQL 15 with the database, user and password of config/.env.example', () => {
  for (const node of nodes) {
    const service = compose.services[node.name]
    assert.is(service.image, 'postgres:15')
    assert.is(service.environment.POSTGRES_DB, node.database)
    assert.is(service.environment.POSTGRES_USER, node.user)
    assert.is(service.environment.POSTGRES_PASSWORD, node.password)
  }
})

test('compose mounts the same settings files the local cluster includes', async () => {
  const localConf = await readFile(join(repoRoot, 'scripts/lib/cluster/node-files.ts'), 'utf8')
  assert.match(localConf, /config\/postgresql\.conf/)
  assert.match(localConf, /config\/pg_hba\.conf/)
  for (const node of nodes) {
    const volumes = compose.services[node.name].volumes
    assert.ok(volumes.includes('../config/postgresql.conf:/etc/replkit/postgresql.conf:ro'), node.name)
    assert.ok(volumes.includes('../config/pg_hba.conf:/etc/replkit/pg_hba.conf:ro'), node.name)
  }
  const init = await readFile(join(repoRoot, 'docker/initdb.sh'), 'utf8')
  assert.match(init, /include '\/etc\/replkit\/postgresql\.conf'/)
  assert.match(init, /\/etc\/replkit\/pg_hba\.conf/)
})

test('the shared settings keep wal_level at its default, so make replicate has to fix it', async () => {
  const conf = await readFile(join(repoRoot, 'config/postgresql.conf'), 'utf8')
  assert.not.match(conf, /^\s*wal_level\s*=/m)
  assert.match(conf, /^password_encryption = 'scram-sha-256'/m)
  const hba = await readFile(join(repoRoot, 'config/pg_hba.conf'), 'utf8')
  const rules = hba.split('\n').filter(l => l.trim() && !l.trim().startsWith('#'))
  assert.ok(rules.length > 0)
  for (const rule of rules) assert.match(rule, /(scram-sha-256|reject)$/, rule)
})

test.run()
