// A table outside public whose name needs quoting (sales."Order Lines", a mixed-case column too),
// named in PUBLICATION_TABLES as an operator writes it: make replicate creates it on the replicas
// from the PRIMARY's definition, publishes it and copies it; check compares it, --diff names its
// differing rows, repair mends them (the flag spelled another way), and verify proves it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { config, query, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const schemas = suite('tables in another schema, with names that need quoting')
const nodes = [config.primary, ...config.replicas]
const TABLE = 'sales."Order Lines"'
/** The cluster's configuration with the table published too, spelled as SQL allows. */
const withSales = { PUBLICATION_TABLES: [...config.tables, 'Sales."Order Lines"'].join(',') }

interface CheckJson {
  status: string
  consistency: { table: string; cells: { node: string; rows: number | null; state: string }[] }[]
  diff: {
    table: string
    differences: { key: string; nodes: Record<string, string>; columns: Record<string, string[]> }[] | null
  } | null
}
const check = async (args: string[] = []) => {
  const run = await runScript('check-replication', ['--json', ...args], withSales)
  return { code: run.code, json: JSON.parse(run.stdout) as CheckJson, stdout: run.stdout }
}

schemas.before(async () => {
  await ensureReplication()
  for (const n of nodes) await query(n, 'drop schema if exists sales cascade')
  await query(
    config.primary,
    `create schema sales;
     create table sales."Order Lines" (id bigint generated always as identity primary key, "Sku" text not null, qty int not null);
     insert into sales."Order Lines" ("Sku", qty) select 'SKU-' || g, g % 7 + 1 from generate_series(1, 2000) g`,
  )
})

schemas.after(async () => {
  // Dropped, the table leaves the publication and each replica's subscription.
  for (const n of nodes) await query(n, 'drop schema if exists sales cascade')
  await waitForCatchup()
})

schemas('replicate creates, publishes and copies it; check compares it with the others', async () => {
  const run = await runScript('replicate', [], withSales)
  assert.is(run.code, 0, run.stdout + run.stderr)
  await query(config.primary, `insert into sales."Order Lines" ("Sku", qty) values ('SKU-late', 3)`)
  await waitForCatchup()
  for (const replica of config.replicas) {
    const [{ n }] = await query<{ n: number }>(replica, 'select count(*)::int as n from sales."Order Lines"')
    assert.is(n, 2001, `${replica.name}: the 2,000 rows copied once, the next one streamed`)
  }
  const { code, json } = await check()
  assert.is(json.status, 'OK', JSON.stringify(json).slice(0, 3000))
  assert.is(code, 0)
  const sales = json.consistency.find(c => c.table === TABLE)
  assert.ok(sales, `${TABLE} is compared: ${json.consistency.map(c => c.table)}`)
  assert.equal(
    sales!.cells.map(c => [c.node, c.rows, c.state]),
    [
      ['primary', 2001, 'reference'],
      ['replica1', 2001, 'match'],
      ['replica2', 2001, 'match'],
    ],
  )
})

schemas('rows changed on a replica: --diff names them by key, repair mends only them, verify passes', async () => {
  await query(
    config.replicas[0],
    `set session_replication_role = replica;
     update sales."Order Lines" set qty = 99 where id = 10;
     delete from sales."Order Lines" where id = 20`,
  )
  const differing = await check(['--diff', TABLE])
  assert.is(differing.code, 2, differing.stdout.slice(0, 2000))
  assert.equal(
    differing.json.diff?.differences?.map(d => [d.key, d.nodes, d.columns]),
    [
      ['10', { replica1: 'different' }, { replica1: ['qty'] }],
      ['20', { replica1: 'missing' }, {}],
    ],
  )

  const repair = await runScript(
    'repair',
    ['--replica', 'replica1', '--table', 'SALES."Order Lines"', '--yes'],
    withSales,
  )
  assert.is(repair.code, 0, repair.stdout + repair.stderr)
  const after = await check(['--diff', TABLE])
  assert.is(after.json.status, 'OK', after.stdout.slice(0, 2000))
  assert.equal(after.json.diff?.differences, [])

  const verify = await runScript('verify', ['--json', '--suites', 'publication,rows'], withSales)
  assert.is(verify.code, 0, verify.stdout + verify.stderr)
  const report = JSON.parse(verify.stdout) as { passed: number; failed: number }
  assert.is(report.failed, 0)
})

schemas("a batch the replica refuses: the server's words in one line, exit 2, the replica as it was", async () => {
  const replica1 = config.replicas[0]
  await query(
    replica1,
    `set session_replication_role = replica;
     delete from sales."Order Lines" where id = 30;
     alter table sales."Order Lines" add constraint "no SKU-30" check ("Sku" <> 'SKU-30') not valid`,
  )
  try {
    const refused = await runScript('repair', ['--replica', 'replica1', '--table', TABLE, '--yes'], withSales)
    assert.is(refused.code, 2, refused.stdout + refused.stderr)
    assert.match(
      refused.stderr,
      /^replkit: sales\."Order Lines" on replica1: the replica refused a repair batch: new row for relation "Order Lines" violates check constraint "no SKU-30" .*\[SQLSTATE 23514\]; that batch rolled back, nothing was changed\n$/,
    )
    const [{ n }] = await query<{ n: number }>(
      replica1,
      'select count(*)::int as n from sales."Order Lines" where id = 30',
    )
    assert.is(n, 0, 'the replica as it was')
  } finally {
    await query(replica1, 'alter table sales."Order Lines" drop constraint "no SKU-30"')
  }
  const repaired = await runScript('repair', ['--replica', 'replica1', '--table', TABLE, '--yes'], withSales)
  assert.is(repaired.code, 0, repaired.stdout + repaired.stderr)
  assert.is((await check()).json.status, 'OK')
})

schemas.run()
