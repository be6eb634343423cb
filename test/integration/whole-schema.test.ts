// PUBLICATION_TABLES with a whole schema and an exclusion (shop.*, -shop.audit): make replicate
// publishes the schema's tables as a list, never shop.audit. A table created there later is not
// sent behind the replicas' back (apply would stop at its first row): check names it, the other
// tables keep streaming, and the next make replicate creates, publishes and copies it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { config, query, runScript, tempFile } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const wholeSchema = suite('a whole schema published, less an exclusion')
const nodes = [config.primary, ...config.replicas]
const withShop = { PUBLICATION_TABLES: [...config.tables, 'shop.*', '-shop.audit'].join(',') }

interface CheckJson {
  status: string
  verdicts: { code: string; node: string; problem: string }[]
  consistency: { table: string; cells: { node: string; rows: number | null; state: string }[] }[]
  diff: { table: string; differences: unknown[] | null } | null
}
const check = async (args: string[] = []) => {
  const run = await runScript('check-replication', ['--json', ...args], withShop)
  return { code: run.code, json: JSON.parse(run.stdout) as CheckJson, stdout: run.stdout }
}
const published = async () =>
  (
    await query<{ t: string }>(
      config.primary,
      `select schemaname || '.' || tablename as t from pg_publication_tables
        where pubname = '${config.publication}' and schemaname = 'shop' order by 1`,
    )
  ).map(r => r.t)
const count = async (node: (typeof nodes)[number], table: string) =>
  (await query<{ n: number }>(node, `select count(*)::int as n from ${table}`))[0].n

wholeSchema.before(async () => {
  await ensureReplication()
  for (const n of nodes) await query(n, 'drop schema if exists shop cascade')
  await query(
    config.primary,
    `create schema shop;
     create table shop.returns (id int primary key, reason text not null);
     insert into shop.returns select g, 'reason ' || g from generate_series(1, 500) g;
     create table shop.audit (id bigint generated always as identity primary key, what text);
     insert into shop.audit (what) values ('kept on the primary')`,
  )
})

wholeSchema.after(async () => {
  // Dropped, the tables leave the publication and each replica's subscription.
  for (const n of nodes) await query(n, 'drop schema if exists shop cascade')
  await waitForCatchup()
})

wholeSchema('replicate publishes the schema as its tables, less the excluded one, and copies them', async () => {
  const run = await runScript('replicate', [], withShop)
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.equal(await published(), ['shop.returns'])
  for (const replica of config.replicas) {
    assert.is(await count(replica, 'shop.returns'), 500, `${replica.name}: shop.returns copied`)
    const [{ audit }] = await query<{ audit: string | null }>(
      replica,
      `select to_regclass('shop.audit')::text as audit`,
    )
    assert.is(audit, null, `${replica.name}: the excluded table is not created there`)
  }
  // A table-sync worker may still be handing shop.returns to apply (state s): check says so, rightly.
  await waitForCatchup()
  const { code, json } = await check()
  assert.is(json.status, 'OK', JSON.stringify(json.verdicts))
  assert.is(code, 0)
  assert.equal(
    json.consistency.filter(c => c.table.startsWith('shop.')).map(c => c.table),
    ['shop.returns'],
  )
})

wholeSchema('a table created there later: check names it, apply goes on, replicate adds and copies it', async () => {
  await query(
    config.primary,
    `create table shop.refunds (id int primary key, amount numeric not null);
     insert into shop.refunds select g, g * 1.5 from generate_series(1, 300) g;
     insert into shop.returns values (501, 'after the new table')`,
  )
  await waitForCatchup()
  const before = await check()
  assert.is(before.code, 2, before.stdout.slice(0, 2000))
  const incomplete = before.json.verdicts.filter(v => v.code === 'PUBLICATION_INCOMPLETE')
  assert.equal(
    incomplete.map(v => [v.node, v.problem]),
    [['primary', `${config.publication} does not publish shop.refunds`]],
  )
  // The replicas lack it and say so; nothing else, so apply goes on for the rest.
  const onReplicas = before.json.verdicts.filter(v => v.node !== 'primary')
  assert.equal(
    onReplicas.map(v => `${v.node} ${v.code}`).sort(),
    ['TABLES_NOT_SUBSCRIBED', 'TABLE_MISSING'].flatMap(code => config.replicas.map(r => `${r.name} ${code}`)).sort(),
  )
  for (const v of onReplicas) assert.match(v.problem, /shop\.refunds/)
  for (const replica of config.replicas) assert.is(await count(replica, 'shop.returns'), 501)

  const run = await runScript('replicate', [], withShop)
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /\(added shop\.refunds\)/)
  assert.equal(await published(), ['shop.refunds', 'shop.returns'])
  await waitForCatchup()
  for (const replica of config.replicas) assert.is(await count(replica, 'shop.refunds'), 300)
  const after = await check(['--diff', 'SHOP.refunds'])
  assert.is(after.json.status, 'OK', JSON.stringify(after.json.verdicts))
  assert.equal(after.json.diff?.differences, [])

  const verify = await runScript('verify', ['--json', '--suites', 'publication,rows'], withShop)
  assert.is(verify.code, 0, verify.stdout + verify.stderr)
})

wholeSchema(
  'make migrate creating a table there publishes it: the schema is read again after the table exists',
  async () => {
    const create = await tempFile('gifts.sql', 'CREATE TABLE shop.gifts (id int PRIMARY KEY, note text);\n')
    const run = await runScript('migrate', ['--file', create, '--yes'], withShop)
    assert.is(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /\(added shop\.gifts\)/)
    assert.equal(await published(), ['shop.gifts', 'shop.refunds', 'shop.returns'])
    await query(config.primary, `insert into shop.gifts select g, 'streamed' from generate_series(1, 20) g`)
    await waitForCatchup()
    for (const replica of config.replicas) assert.is(await count(replica, 'shop.gifts'), 20)
  },
)

wholeSchema('an excluded table, or a table of no published schema, is refused by name', async () => {
  for (const table of ['shop.audit', 'crm.leads']) {
    const run = await runScript('check-replication', ['--diff', table], withShop)
    assert.is(run.code, 3, run.stdout + run.stderr)
    assert.match(
      run.stderr,
      new RegExp(`--diff ${table.replace('.', '\\.')}: not a replicated table \\(.*shop\\.\\*\\)`),
    )
  }
})

wholeSchema.run()
