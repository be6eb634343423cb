import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import postgres from 'postgres'
import { replicatorPasswordFile } from '../../scripts/lib/replication/password.js'
import { chooseOptions, withList } from '../../scripts/lib/replication/options.js'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, query, replicated, runScript, verify } from './helpers.js'

const replication = suite('replicate and rollback')
const [replica1, replica2] = config.replicas
const outputs: string[] = []
const run = async (name: string, args: string[] = [], env: Record<string, string> = {}) => {
  const r = await runScript(name, args, env)
  outputs.push(r.stdout, r.stderr)
  return r
}

replication('from a clean slate (rollback with --revert-wal-level --drop-role) nothing is left', async () => {
  // Whatever state the cluster was in, the replicas now hold the PRIMARY's rows (and keep them after the rollback).
  await replicated()
  assert.is((await run('sync-replicas', ['--yes'])).code, 0)
  const r = await run('rollback', ['--yes', '--revert-wal-level', '--drop-role'])
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(await query(config.primary, 'select slot_name from pg_replication_slots'), [])
  assert.equal(await query(config.primary, 'select pubname from pg_publication'), [])
  assert.equal(await query(replica1, 'select subname from pg_subscription'), [])
  const [{ wal_level }] = await query(config.primary, 'show wal_level')
  assert.is(wal_level, 'replica')
})

replication(
  'a PRIMARY is restarted only with --restart-primary: refused with the statements, nothing written; on a cluster replkit cannot restart, the exact restart instruction',
  async () => {
    // The replicas keep the rows of the test before: --truncate-replicas, or the preflight refuses them first.
    const refused = await run('replicate', ['--truncate-replicas', '--yes'])
    assert.is(refused.code, 2)
    assert.match(
      refused.stderr,
      /primary: wal_level replica → logical take effect only after a restart of the PRIMARY, which replkit does only with --restart-primary; nothing was changed\. .*ALTER SYSTEM SET wal_level = 'logical';/,
    )
    const [untouched] = await query<{ pending_restart: boolean }>(
      config.primary,
      `select pending_restart from pg_settings where name = 'wal_level'`,
    )
    assert.is(untouched.pending_restart, false)
    assert.equal(await query(config.primary, `select rolname from pg_roles where rolname = 'replicator'`), [])
    const remote = { CLUSTER_DIR: '/nonexistent/replkit' } // the same servers, seen as not replkit's own
    const noPassword = await run('replicate', ['--restart-primary', '--truncate-replicas', '--yes'], remote)
    assert.is(noPassword.code, 1)
    assert.match(
      noPassword.stderr.trim(),
      /^replkit: REPLICATOR_PASSWORD is not set: put it in \.env or the environment/,
    )
    const r = await run('replicate', ['--restart-primary', '--truncate-replicas', '--yes'], {
      ...remote,
      REPLICATOR_PASSWORD: 'remote-cluster-secret',
    })
    assert.is(r.code, 2)
    assert.match(
      r.stderr,
      /wal_level replica → logical are set but need a restart \(a reload does not apply them\); restart the server/,
    )
    const [{ pending_restart }] = await query(
      config.primary,
      `select pending_restart from pg_settings where name = 'wal_level'`,
    )
    assert.is(pending_restart, true)
    assert.not.ok(r.stdout.includes('remote-cluster-secret') || r.stderr.includes('remote-cluster-secret'))
  },
)

replication('rollback without --yes refuses and changes nothing', async () => {
  const r = await run('rollback')
  assert.is(r.code, 1)
  assert.match(r.stderr, /re-run with --yes/)
})

replication('--dry-run prints the statements per node and changes nothing', async () => {
  const r = await run('replicate', ['--dry-run', '--truncate-replicas', '--yes'])
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /-- replica1, one transaction \(vars: subscription=sub_replica1 .*conninfo=<secret>\):/)
  assert.match(r.stdout, /-- sql\/replication\/045_truncate_replica\.sql/)
  assert.match(r.stdout, /-- primary: sql\/replication\/010_wal_level\.sql/)
  assert.match(r.stdout, /ALTER SYSTEM SET wal_level = 'logical'/)
  assert.match(r.stdout, /-- primary: sql\/replication\/040_publication\.sql/)
  assert.match(r.stdout, /-- replica2, one transaction \(vars: subscription=sub_replica2 .*conninfo=<secret>\):/)
  assert.match(r.stdout, /-- sql\/replication\/052_subscription_from_slot\.sql/)
  const [{ wal_level }] = await query(config.primary, 'show wal_level')
  assert.is(wal_level, 'replica')
  assert.equal(await query(config.primary, `select rolname from pg_roles where rolname = 'replicator'`), [])
  const [{ n }] = await query<{ n: number }>(replica1, 'select count(*)::int as n from products')
  assert.is(n, 30, 'the dry run emptied a replica')
})

replication("replicate sets wal_level with a restart, and every replica ends with the PRIMARY's rows", async () => {
  const r = await replicated()
  outputs.push(r.stdout)
  assert.match(
    r.stdout,
    /primary: restarted \(--restart-primary\) to apply wal_level replica → logical \(SHOW wal_level = logical\)/,
  )
  // The options chosen for the PRIMARY's and replica1's majors (on 15 alone: streaming = on, binary = false).
  const options = withList(
    chooseOptions({
      publisherNum: config.localMajors.primary * 10000,
      subscriberNum: config.localMajors.replica1 * 10000,
      sameColumnTypes: true,
    }),
  )
  // The replicas held rows (the rollback keeps them): replaced in one transaction with the subscription.
  assert.ok(
    r.stdout.includes(
      `replica1: sub_replica1 created on slot sub_replica1 (copy_data = false: the rows came from its snapshot, ${options}, sslmode=`,
    ) && /replica1: .* copied with it, all in one transaction/.test(r.stdout),
    r.stdout,
  )
  const { code, report } = await verify(['publication', 'subscription', 'seed', 'rows'])
  assert.is(code, 0, JSON.stringify(report.suites.filter(s => !s.ok)))
  assert.is(report.suites.length, 1 + 2 + 1 + 2)
})

replication('a second run changes nothing and says so', async () => {
  const r = await run('replicate')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /nothing to change: replication already in place — 0 changed/)
})

/** The replica's database settings for default_transaction_read_only (every role, then per role). */
const readOnlySettings = async (node: typeof replica1) =>
  (
    await query<{ setting: string }>(
      node,
      `select coalesce(r.rolname, '*') || ':' || c as setting
         from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole, unnest(s.setconfig) c
        where s.setdatabase = (select oid from pg_database where datname = current_database())
          and c like 'default_transaction_read_only=%' order by 1`,
    )
  ).map(r => r.setting)

replication(
  'a replica that accepts client writes: check warns, and make replicate (its fix) makes it read-only',
  async () => {
    for (const replica of config.replicas)
      assert.equal(await readOnlySettings(replica), [
        '*:default_transaction_read_only=on',
        `${replica.user}:default_transaction_read_only=off`,
      ])
    await query(replica2, `alter database ${replica2.database} reset default_transaction_read_only`)
    const check = await runScript('check-replication', ['--json'])
    assert.is(check.code, 1, check.stdout)
    const warning = (JSON.parse(check.stdout) as CheckReport).verdicts.find(v => v.level === 'warning')!
    assert.match(warning.problem, /^replica2 accepts client writes/)
    assert.match(warning.fix, /^make replicate: /)
    const fixed = await run('replicate')
    assert.is(fixed.code, 0, fixed.stdout + fixed.stderr)
    assert.match(fixed.stdout, /replica2: read-only for client sessions/)
    assert.is((await runScript('check-replication', [])).code, 0)
  },
)

replication('the replication role is least-privilege and TLS-only', async () => {
  const [role] = await query<{ rolsuper: boolean; rolreplication: boolean; pw: string }>(
    config.primary,
    `select rolsuper, rolreplication, left(rolpassword, 14) as pw from pg_authid where rolname = 'replicator'`,
  )
  assert.equal(role, { rolsuper: false, rolreplication: true, pw: 'SCRAM-SHA-256$' })
  const password = (await readFile(replicatorPasswordFile(config), 'utf8')).trim()
  const as = (ssl: boolean | 'require') =>
    postgres({
      host: config.primary.host,
      port: config.primary.port,
      database: config.primary.database,
      username: 'replicator',
      password,
      ssl,
      max: 1,
      onnotice: () => {},
      connect_timeout: 5,
    })
  const tls = as('require')
  try {
    const [{ n }] = await tls`select count(*)::int as n from public.products`
    assert.is(n, 30)
    for (const forbidden of ['replkit.schema_migrations', 'pg_catalog.pg_authid']) {
      await tls.unsafe(`select 1 from ${forbidden} limit 1`).then(
        () => assert.unreachable(`replicator read ${forbidden}`),
        (e: { code?: string }) => assert.is(e.code, '42501', forbidden),
      )
    }
    const grants =
      await tls`select table_name from information_schema.role_table_grants where grantee = 'replicator' order by 1`
    assert.equal(
      grants.map(g => g.table_name),
      [...config.tables].sort(),
    )
  } finally {
    await tls.end()
  }
  const plain = as(false)
  await plain`select 1`.then(
    () => assert.unreachable('a non-TLS connection was accepted'),
    (e: { code?: string }) => assert.is(e.code, '28000'),
  )
  await plain.end()
})

replication('inserts, updates and deletes on the PRIMARY show the same on every replica', async () => {
  await query(
    config.primary,
    `insert into products (sku, title, price, stock, category_id)
    select 'REPL-TEST-1', 'Replication test', 99.99, 100, id from categories where slug = 'books'`,
  )
  await query(config.primary, `update products set price = 89.99 where sku = 'REPL-TEST-1'`)
  await query(
    config.primary,
    `insert into products (sku, title, price, stock, category_id)
    select 'REPL-TEST-2', 'Deleted later', 1, 1, id from categories where slug = 'books'`,
  )
  await query(config.primary, `delete from products where sku = 'REPL-TEST-2'`)
  const { code, report } = await verify(['rows'])
  assert.is(code, 0, JSON.stringify(report))
  for (const replica of config.replicas) {
    const rows = await query(replica, `select sku, price::text from products where sku like 'REPL-TEST-%'`)
    assert.equal(rows, [{ sku: 'REPL-TEST-1', price: '89.99' }], replica.name)
  }
  await query(config.primary, `delete from products where sku = 'REPL-TEST-1'`)
})

replication('rollback leaves no subscription, slot or publication; replicate again works', async () => {
  const r = await run('rollback', ['--yes'])
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(await query(config.primary, 'select slot_name from pg_replication_slots'), [])
  assert.equal(await query(config.primary, 'select pubname from pg_publication'), [])
  for (const replica of config.replicas) {
    assert.equal(await query(replica, 'select subname from pg_subscription'), [], replica.name)
    assert.equal(await readOnlySettings(replica), [], `${replica.name} takes client writes again`)
  }
  const again = await run('rollback', ['--yes'])
  assert.is(again.code, 0)
  assert.match(again.stdout, /0 changed/)
  const refused = await run('replicate')
  assert.is(refused.code, 2)
  assert.match(refused.stdout, /already holds rows in categories, products, inventory.*--truncate-replicas --yes/)
  assert.match(refused.stderr, /preflight failed: .*nothing was changed/)
  assert.equal(
    await query(config.primary, 'select pubname from pg_publication'),
    [],
    'refused before anything was written',
  )
  const truncated = await replicated()
  outputs.push(truncated.stdout)
  // What --truncate-replicas replaces is saved first, as files psql can load again; the copy is one transaction.
  assert.match(truncated.stdout, /replica1: .* copied with it, all in one transaction/)
  const saved =
    /replica1: saved its rows before replacing them, in (\S+)\s+categories: 5 rows saved.*\s+products: 30 rows saved.*\s+inventory: 30 rows saved/.exec(
      truncated.stdout,
    )
  assert.ok(saved, truncated.stdout)
  assert.is((await readFile(join(saved![1], 'products.copy'), 'utf8')).trim().split('\n').length, 30)
  const { code, report } = await verify(['publication', 'subscription', 'rows'])
  assert.is(code, 0, JSON.stringify(report.suites.filter(s => !s.ok)))
})

replication('rollback of an unreachable replica drops its orphaned slot on the PRIMARY', async () => {
  await runScript('cluster', ['stop', 'replica2'])
  try {
    const r = await run('rollback', ['--yes'])
    assert.match(r.stdout, /cannot reach replica2/)
    assert.match(r.stdout, /dropped slot sub_replica2 of unreachable replica2/)
    assert.equal(await query(config.primary, 'select slot_name from pg_replication_slots'), [])
  } finally {
    await runScript('cluster', ['start', 'replica2'])
  }
  // replica2 still has its subscription (its slot is gone): a rollback now that it is back removes it.
  const r = await run('rollback', ['--yes'])
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(await query(replica2, 'select subname from pg_subscription'), [])
  outputs.push((await replicated()).stdout)
})

replication('the replication password never appears in output or server logs', async () => {
  const password = (await readFile(replicatorPasswordFile(config), 'utf8')).trim()
  assert.ok(password.length >= 20)
  for (const text of outputs) assert.not.ok(text.includes(password), 'a command printed the password')
  for (const node of ['primary', 'replica1', 'replica2']) {
    const log = await readFile(join(config.clusterDir, `${node}.log`), 'utf8')
    assert.not.ok(log.includes(password), `${node}.log holds the password`)
  }
})

replication.run()
