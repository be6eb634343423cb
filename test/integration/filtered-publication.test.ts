// Tables a publication sends in part (PostgreSQL 15+), named so in PUBLICATION_TABLES: one with a
// row filter (the replicas hold only the 'eu' rows), one with a column list (a card token stays on
// the PRIMARY). make replicate publishes them so and copies only that; check, --diff, repair and
// verify judge only what is sent; a filter that would break UPDATE on the PRIMARY is refused,
// nothing changed; a re-run changes nothing.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { config, query, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const filtered = suite('a publication that sends tables in part')
const nodes = [config.primary, ...config.replicas]
const [replica1] = config.replicas
const SHIPMENTS = 'crm.shipments'
const CUSTOMERS = 'crm."Customers"'
const inPart = (extra = '') => ({
  PUBLICATION_TABLES: [
    ...config.tables,
    `crm.shipments WHERE (region = 'eu')`,
    `crm."Customers" (id, email)${extra}`,
  ].join(','),
})

interface CheckJson {
  status: string
  consistency: { table: string; cells: { node: string; rows: number | null; state: string }[] }[]
  diff: { differences: { key: string; nodes: Record<string, string> }[] | null } | null
  verdicts: { code: string; problem: string }[]
}
const check = async (args: string[] = []) => {
  const run = await runScript('check-replication', ['--json', ...args], inPart())
  return { code: run.code, json: JSON.parse(run.stdout) as CheckJson, text: run.stdout.slice(0, 3000) }
}
const count = async (node = replica1, sql = 'select count(*)::int as n from crm.shipments') =>
  (await query<{ n: number }>(node, sql))[0].n

filtered.before(async () => {
  await ensureReplication()
  for (const n of nodes) await query(n, 'drop schema if exists crm cascade')
  await query(
    config.primary,
    `create schema crm;
     create table crm.shipments (region text, id int, note text, primary key (region, id));
     create table crm."Customers" (id int primary key, email text not null, "Card Token" text);
     insert into crm.shipments select r, g, 'n' || g from unnest(array['eu', 'us']) r, generate_series(1, 300) g;
     insert into crm."Customers" select g, 'c' || g || '@shop.test', 'tok-' || g from generate_series(1, 200) g`,
  )
})

filtered.after(async () => {
  for (const n of nodes) await query(n, 'drop schema if exists crm cascade')
  await waitForCatchup()
})

filtered('replicate sends the eu rows and the listed columns only; check judges what is sent: OK', async () => {
  const run = await runScript('replicate', [], inPart())
  assert.is(run.code, 0, run.stdout + run.stderr)
  await query(
    config.primary,
    `insert into crm.shipments values ('eu', 301, 'late'), ('us', 301, 'late');
     update crm."Customers" set "Card Token" = 'rotated' where id <= 10`,
  )
  await waitForCatchup()
  for (const replica of config.replicas) {
    assert.is(await count(replica), 301, `${replica.name}: the 301 eu rows, no us row`)
    assert.is(await count(replica, `select count(*)::int as n from crm."Customers" where "Card Token" is not null`), 0)
  }
  const { json } = await check()
  assert.is(json.status, 'OK', JSON.stringify(json.verdicts))
  const cells = (t: string) => json.consistency.find(c => c.table === t)?.cells.map(c => [c.node, c.rows, c.state])
  assert.equal(cells(SHIPMENTS), [
    ['primary', 301, 'reference'],
    ['replica1', 301, 'match'],
    ['replica2', 301, 'match'],
  ])
  assert.equal(cells(CUSTOMERS)?.[1], ['replica1', 200, 'match'])

  const again = await runScript('replicate', [], inPart())
  assert.match(
    again.stdout,
    / 0 changed, \d+ already in place/,
    'the publication as PostgreSQL holds it compares equal: nothing to do',
  )
})

filtered('rows changed on a replica: --diff and repair see only what is sent, verify passes', async () => {
  await query(
    replica1,
    `set session_replication_role = replica;
     delete from crm.shipments where region = 'eu' and id = 7;
     insert into crm.shipments values ('us', 999, 'only here');
     update crm."Customers" set email = 'changed@shop.test' where id = 5;
     update crm."Customers" set "Card Token" = 'its own' where id = 6`,
  )
  const shipments = await check(['--diff', SHIPMENTS])
  assert.is(shipments.code, 2, shipments.text)
  assert.equal(
    shipments.json.diff?.differences?.map(d => [d.key, d.nodes]),
    [
      ['(eu, 7)', { replica1: 'missing' }],
      ['(us, 999)', { replica1: 'extra' }],
    ],
  )
  const customers = await check(['--diff', CUSTOMERS])
  assert.equal(
    customers.json.diff?.differences?.map(d => [d.key, d.nodes]),
    [['5', { replica1: 'different' }]],
    'a column the publication does not send is the replica own',
  )
  for (const table of [SHIPMENTS, CUSTOMERS]) {
    const repair = await runScript('repair', ['--replica', 'replica1', '--table', table, '--yes'], inPart())
    assert.is(repair.code, 0, repair.stdout + repair.stderr)
  }
  assert.is((await check()).json.status, 'OK')
  const verify = await runScript('verify', ['--json', '--suites', 'publication,rows'], inPart())
  assert.is(verify.code, 0, verify.stdout + verify.stderr)
})

filtered(
  'a row filter outside the replica identity would break UPDATE on the PRIMARY: refused, nothing changed',
  async () => {
    const before = await query(
      config.primary,
      `select * from pg_publication_tables where pubname = '${config.publication}'`,
    )
    const run = await runScript('replicate', [], inPart(" WHERE (email <> '')"))
    assert.is(run.code, 2, run.stdout + run.stderr)
    assert.match(
      run.stdout + run.stderr,
      /primary: UPDATE and DELETE on crm\."Customers" once published in part: .*replica identity.* \(nothing was changed\)/,
    )
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(
      await query(config.primary, `select * from pg_publication_tables where pubname = '${config.publication}'`),
      before,
    )
  },
)

filtered.run()
