// make check against the local cluster in each state it must recognise. The tests change the
// cluster's state, so they run in order, each restoring what it broke; the cluster ends
// replicated and healthy.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../../scripts/lib/config.js'
import { majorOf, serverVersionNum } from '../../scripts/lib/db.js'
import { forMajor, sqlText } from '../../scripts/lib/sql-files.js'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, db, runScript, until } from './helpers.js'
import { ensureReplication, removeReplication, waitForCatchup } from './replication-fixture.js'

const check = suite('check-replication')
const [replica1, replica2] = config.replicas
const primary = db()
const onReplica1 = db(replica1)
const onReplica2 = db(replica2)

async function report(...args: string[]): Promise<{ code: number; json: CheckReport }> {
  const run = await runScript('check-replication', ['--json', ...args])
  assert.is(run.stderr, '')
  return { code: run.code, json: JSON.parse(run.stdout) }
}
const problems = (r: CheckReport) => r.verdicts.map(v => v.problem)
const cluster = (...args: string[]) =>
  $({ cwd: repoRoot, quiet: true })`${repoRoot}/node_modules/.bin/tsx scripts/cluster.ts ${args}`

check.before(async () => {
  await ensureReplication()
})

check.after(async () => {
  await Promise.all([primary.end(), onReplica1.end(), onReplica2.end()])
})

check('healthy: exit 0, every table matches, lag from the PRIMARY, the canary arrives everywhere', async () => {
  const { code, json } = await report('--canary')
  assert.equal(problems(json), [])
  assert.is(code, 0)
  assert.is(json.status, 'OK')
  assert.ok(json.consistency.every(t => t.cells.every(c => c.state === 'reference' || c.state === 'match')))
  assert.equal(
    json.lag.map(l => [l.replica, l.source]),
    [
      [replica1.name, 'walsender'],
      [replica2.name, 'walsender'],
    ],
  )
  assert.equal(
    json.canary!.arrivals.map(a => [a.replica, a.status]),
    [
      [replica1.name, 'arrived'],
      [replica2.name, 'arrived'],
    ],
  )
  assert.ok(json.canary!.arrivals.every(a => typeof a.ms === 'number'))
  const [{ left }] = await primary`select count(*)::int as left from products where sku like 'REPLKIT-CANARY-%'`
  assert.is(left, 0)
  const text = await runScript('check-replication')
  assert.match(text.stdout, /replication is healthy: nothing to fix\n\nOverall: OK \(exit 0\)/)
})

check('no query of make check is planned past jit_above_cost: compiling one took ~90 ms of every check', async () => {
  const params: Record<string, unknown[]> = {
    'unpublished_tables.sql': [config.publication],
    'publications.sql': [config.tables],
    'replication_admission.sql': [config.replicatorUser],
    'checksums.sql': [config.tables],
    'table_lockable.sql': [config.tables],
    'checksums_in_part.sql': [config.tables, config.tables.map(() => null), config.tables.map(() => null)],
    'published_parts.sql': [config.tables, config.publication],
    'schema_tables.sql': [['public']],
    'columns.sql': [config.tables],
    'table_definitions.sql': [config.tables],
    'subscription_options.sql': ['sub_replica1'],
    'apply_open.sql': ['sub_replica1'],
  }
  const files = (await readdir(join(repoRoot, 'sql/check'))).filter(f => f.endsWith('.sql'))
  for (const [name, sql] of [
    ['primary', primary],
    ['replica1', onReplica1],
  ] as const) {
    const [{ limit }] = await sql`select current_setting('jit_above_cost')::float8 as limit`
    const major = majorOf(await serverVersionNum(sql))
    for (const file of files) {
      const text = forMajor(await sqlText(`sql/check/${file}`), major)
      const [row] = await sql.unsafe(`explain (format json) ${text}`, (params[file] ?? []) as never[])
      const cost = (row['QUERY PLAN'] as { Plan: { 'Total Cost': number } }[])[0].Plan['Total Cost']
      assert.ok(cost < limit, `${name}: sql/check/${file} is planned at ${cost}, past jit_above_cost ${limit}`)
    }
  }
})

check("before replication: the runbook's expected issues, exit 2", async () => {
  await removeReplication()
  try {
    const { code, json } = await report()
    assert.is(code, 2)
    const [products] = json.consistency.filter(t => t.table === 'products')
    assert.equal(
      products.cells.map(c => c.rows),
      [30, 0, 0],
    )
    assert.equal(problems(json).slice(0, 4), [
      'wal_level is replica on primary',
      'no publications on primary',
      `no subscriptions on ${replica1.name}`,
      `no subscriptions on ${replica2.name}`,
    ])
    assert.ok(problems(json).includes(`products has 0 rows on ${replica1.name}, primary has 30`))
    assert.ok(json.verdicts.every(v => v.level === 'critical'))
  } finally {
    await ensureReplication()
  }
})

check('a replica that is down is reported as down, the rest still reported, exit 2', async () => {
  await cluster('stop', replica2.name)
  try {
    const { code, json } = await report()
    assert.is(code, 2)
    assert.match(
      problems(json)[0],
      new RegExp(`^${replica2.name} is down: cannot reach ${replica2.name} .*connection refused`),
    )
    assert.is(json.facts.replicas[1].up, false)
    assert.is(json.facts.replicas[0].subscriptions[0].enabled, true)
    assert.ok(json.consistency.every(t => t.cells[1].state === 'match' && t.cells[2].state === 'unknown'))
  } finally {
    await cluster('start', replica2.name)
    await waitForCatchup()
  }
})

check('an inactive slot holding WAL is a warning, exit 1', async () => {
  await primary`select pg_create_logical_replication_slot('replkit_test_idle', 'pgoutput')`
  try {
    await primary`update products set stock = stock where sku in ('BOOK-0002', 'HOME-0001')`
    await waitForCatchup()
    const { code, json } = await report()
    assert.equal(
      json.verdicts.map(v => v.level),
      ['warning'],
    )
    assert.match(problems(json)[0], /^slot replkit_test_idle is inactive and holds \d+(\.\d)? (B|kB) of WAL$/)
    assert.is(code, 1)
  } finally {
    await primary`select pg_drop_replication_slot('replkit_test_idle')`
  }
})

check('a row changed on a replica: checksum mismatch, and --diff products names its key', async () => {
  const [row] = await onReplica2`select id::text, price::text, updated_at::text from products where sku = 'BOOK-0002'`
  await onReplica2`update products set price = price + 1 where id = ${row.id}`
  try {
    const { code, json } = await report('--diff', 'products')
    assert.is(code, 2)
    assert.equal(problems(json), [`products differs in content on ${replica2.name} (same 30 rows, different checksum)`])
    // The diff's comparison at an LSN is the one that settled the table and read its checksums: one read of it.
    assert.equal(json.facts.compared, { products: json.diff })
    const [reference, ...cells] = json.consistency.find(t => t.table === 'products')!.cells
    assert.equal(
      cells.map(c => [c.node, c.rows, c.state, c.checksum === reference.checksum]),
      [
        [replica1.name, 30, 'match', true],
        [replica2.name, 30, 'differs', false],
      ],
    )
    assert.equal(reference.checksum, json.diff!.totals![config.primary.name].checksum)
    // The replica's trigger touched updated_at too: both columns are named.
    assert.equal(
      json.diff!.differences!.map(d => [d.key, d.nodes, d.columns]),
      [[row.id, { [replica2.name]: 'different' }, { [replica2.name]: ['price', 'updated_at'] }]],
    )
  } finally {
    // As the apply worker writes: without firing the replica's updated_at trigger. The value
    // travels as text: the driver would round a timestamptz parameter to milliseconds.
    await onReplica2.begin(async tx => {
      await tx`set local session_replication_role = replica`
      await tx`update products set price = ${row.price}::numeric, updated_at = ${row.updated_at}::text::timestamptz where id = ${row.id}`
    })
  }
  assert.is((await report()).code, 0)
})

check(
  'an apply conflict: the key and LSN named, the fix is make fix-conflict (never a bare SKIP); repaired by hand, OK again with no stats reset',
  async () => {
    const sku = 'REPLKIT-TEST-CONFLICT'
    await onReplica1`insert into products (sku, title, price, category_id) select ${sku}, 'on the replica only', 1, id from categories order by id limit 1`
    const [{ id }] =
      await primary`insert into products (sku, title, price, category_id) select ${sku}, 'on the primary', 2, id from categories order by id limit 1 returning id`
    const errors = async () =>
      (
        await onReplica1`
    select coalesce(sum(apply_error_count), 0)::int as n from pg_stat_subscription_stats where subname = ${`sub_${replica1.name}`}`
      )[0].n as number
    try {
      await until('the apply worker to fail on the duplicate sku', 15_000, async () => (await errors()) > 0)
      const { code, json } = await report()
      assert.is(code, 2)
      const verdict = json.verdicts.find(v => /key conflict/.test(v.problem))
      assert.ok(verdict, JSON.stringify(json.verdicts))
      assert.match(
        verdict!.problem,
        new RegExp(
          `^sub_${replica1.name} is stopped by a key conflict: Key \\(sku\\)=\\(${sku}\\) already exists\\. — INSERT on public\\.products in remote transaction \\d+ \\(finish LSN [0-9A-F]+/[0-9A-F]+\\)$`,
        ),
      )
      assert.is(
        verdict!.fix,
        `make fix-conflict ARGS="--replica ${replica1.name}" shows the conflicting row and the two ways out; --resync --yes repairs it without loss`,
      )
      assert.not.ok(json.verdicts.some(v => /SKIP/.test(v.fix)))
    } finally {
      await onReplica1`delete from products where sku = ${sku} and id <> ${id}`
      await until(
        "the PRIMARY's row to be applied on replica1",
        15_000,
        async () => (await onReplica1`select 1 from products where id = ${id}`).length === 1,
      )
      await primary`delete from products where id = ${id}`
      await waitForCatchup()
    }
    // Repaired: the count is cumulative, but errors that no longer block are a note, not an alarm.
    const repaired = await report()
    assert.equal(problems(repaired.json), [])
    assert.is(repaired.code, 0)
    assert.ok(
      (repaired.json as unknown as { notes: string[] }).notes.some(n => n.startsWith(`sub_${replica1.name} counted`)),
    )
    // fix-conflict judges the count the same way: history, nothing to choose, exit 0.
    const fix = await runScript('fix-conflict', ['--replica', replica1.name])
    assert.is(fix.code, 0, fix.stdout)
    assert.match(
      fix.stdout,
      new RegExp(`sub_${replica1.name} applies; its \\d+ counted apply errors? (is|are) history`),
    )
    assert.not.match(fix.stdout, /--resync --yes/)
  },
)

check.run()
