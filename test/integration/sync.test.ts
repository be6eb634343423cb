// make sync, fix-conflict and sync-sequences against the local cluster: refusals without --yes,
// dry runs that change nothing, the foreign-key rule for --table, and repairs that end equal.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { config, db, query, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const sync = suite('sync')
const [replica1, replica2] = config.replicas
const primary = db()

sync.before(async () => {
  await ensureReplication()
})

sync.after(async () => {
  await primary.end()
})

const subOid = async (node = replica1) =>
  (await query<{ oid: string }>(node, `select oid::text from pg_subscription where subname = 'sub_${node.name}'`))[0]
    ?.oid

sync(
  'without --yes nothing happens; --copy --dry-run prints the SQL and changes nothing; an equal replica is left as it is',
  async () => {
    const before = await subOid()
    const refused = await runScript('sync-replicas', ['--replica', replica1.name])
    assert.is(refused.code, 1)
    assert.match(refused.stderr, /re-run with --yes/)
    const dry = await runScript('sync-replicas', ['--replica', replica1.name, '--copy', '--dry-run'])
    assert.is(dry.code, 0)
    assert.match(dry.stdout, /TRUNCATE TABLE :tables;/)
    assert.match(dry.stdout, /conninfo=<secret>/)
    const equal = await runScript('sync-replicas', ['--replica', replica1.name, '--yes'])
    assert.is(equal.code, 0, equal.stdout)
    assert.match(equal.stdout, /every table equals the PRIMARY's \(compared at an LSN it reached\): nothing to copy/)
    assert.is(await subOid(), before)
  },
)

sync(
  '--table: a copy of one table alone is refused, nothing written; its differing rows are repaired on one replica only',
  async () => {
    const mine = await subOid()
    const [{ n: rows }] = await query<{ n: number }>(replica1, 'select count(*)::int as n from inventory')
    const refused = await runScript('sync-replicas', [
      '--replica',
      replica1.name,
      '--table',
      'inventory',
      '--copy',
      '--yes',
    ])
    assert.is(refused.code, 2)
    assert.is(
      refused.stderr.trim(),
      'replkit: --table inventory on replica1 needs a copy (--copy), and one table copied alone could be left empty if the copy failed; nothing was changed. ' +
        'make sync ARGS="--replica replica1 --yes" copies every table again in one transaction (a failure leaves replica1 as it was)',
    )
    assert.is(await subOid(), mine)
    assert.equal(await query<{ n: number }>(replica1, 'select count(*)::int as n from inventory'), [{ n: rows }])
    const other = await subOid(replica2)
    await query(replica1, 'delete from inventory where product_id in (select product_id from inventory limit 2)')
    const run = await runScript('sync-replicas', ['--replica', replica1.name, '--table', 'inventory', '--yes'])
    assert.is(run.code, 0, run.stdout)
    assert.match(run.stdout, /2 rows differ \(inventory 2\): only those are repaired/)
    assert.match(run.stdout, /inventory: 2 rows written \(2 inserted, 0 updated, 0 deleted\)/)
    assert.match(run.stdout, /rows equal the PRIMARY's for inventory/)
    assert.is(await subOid(replica2), other)
    const [pub] = await query<{ n: number }>(
      config.primary,
      "select count(*)::int as n from pg_publication where pubname like '%_without_%'",
    )
    assert.is(pub.n, 0)
  },
)

sync(
  'a replica holding conflicting rows: fix-conflict names the key; --skip --yes diverges, make sync repairs it',
  async () => {
    const sku = 'REPLKIT-TEST-SYNC-CONFLICT'
    await query(
      replica1,
      `insert into products (sku, title, price, category_id) select '${sku}', 'replica', 1, id from categories order by slug limit 1`,
    )
    await primary`insert into products (sku, title, price, category_id) select ${sku}, 'primary', 2, id from categories order by slug limit 1`
    try {
      let shown = await runScript('fix-conflict', ['--replica', replica1.name])
      for (let i = 0; i < 100 && !shown.stdout.includes('finish LSN'); i++)
        shown = await runScript('fix-conflict', ['--replica', replica1.name])
      assert.is(shown.code, 2)
      assert.match(shown.stdout, new RegExp(`Key \\(sku\\)=\\(${sku}\\) already exists`))
      assert.match(shown.stdout, /--skip --yes .*the WHOLE transaction/)
      const skipped = await runScript('fix-conflict', ['--replica', replica1.name, '--skip', '--yes'])
      assert.is(skipped.code, 1, skipped.stdout)
      assert.match(skipped.stdout, /diverges from the PRIMARY/)
      const check = await runScript('check-replication')
      assert.is(check.code, 2)
      assert.match(check.stdout, /products differs in content on replica1/)
      const repaired = await runScript('sync-replicas', ['--replica', replica1.name, '--yes'])
      assert.is(repaired.code, 0, repaired.stdout)
    } finally {
      await primary`delete from products where sku = ${sku}`
      await waitForCatchup()
    }
    assert.is((await runScript('check-replication')).code, 0)
  },
)

sync("sync-sequences: replicas raised to the PRIMARY's, never lowered; a second run changes nothing", async () => {
  await primary`insert into orders (customer_email) values ('replkit-seq@replkit.test')`
  // Ahead of the PRIMARY, whatever earlier tests took from its sequence.
  const [{ ahead }] = await primary`select (last_value + 1000000)::text as ahead from public.orders_order_number_seq`
  await query(replica2, `select setval('public.orders_order_number_seq', ${ahead})`)
  try {
    const first = await runScript('sync-sequences')
    assert.is(first.code, 0, first.stdout)
    assert.match(first.stdout, /replica2: public.orders_order_number_seq at or past/)
    const [r2] = await query<{ v: string }>(
      replica2,
      'select last_value::text as v from public.orders_order_number_seq',
    )
    assert.is(r2.v, ahead)
    const second = await runScript('sync-sequences')
    assert.match(second.stdout, /\n0 changed/)
    assert.is((await runScript('sync-sequences', ['--report'])).code, 0)
  } finally {
    await primary`delete from orders where customer_email = 'replkit-seq@replkit.test'`
    await waitForCatchup()
  }
})

sync.run()
