// make check --diff on a 1M-row table with a few differing rows, its statistics stale, while a
// writer and two busy loops load the machine: it names exactly those keys, or says which replica's rows were not compared
// and exits 3 — never "no differing rows" and never OK. Once with the default timeouts, once with a
// statement timeout too short to finish.
import { type ChildProcess, spawn } from 'node:child_process'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { connect } from '../../scripts/lib/db.js'
import { config, db, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const load = suite('diff under load')
const [replica1] = config.replicas
// No statement timeout: loading and removing a million rows takes longer than the default.
const primary = connect(config.primary, { statementTimeoutMs: 0 })
const onReplica1 = db(replica1)
/** ANALYZE from a second session while the load's transaction is open. */
const analyser = db()
const ROWS = 1_000_000
const busy: ChildProcess[] = []
/** The primary keys (id) of the six rows made to differ on replica1. */
const expected: string[] = []
let writing = true
let writer: Promise<void> = Promise.resolve()

load.before(async () => {
  await ensureReplication()
  // Statistics as an ANALYZE leaves them when it runs while a load is uncommitted (autovacuum may,
  // on a busy machine): the new pages counted, not their rows, so products reads as ~30 rows. The
  // compare must count the rows itself; autovacuum is held off so this state lasts.
  await primary`alter table products set (autovacuum_enabled = false)`
  await primary.begin(async tx => {
    await tx`
      insert into products (sku, title, price, category_id)
      select 'LOAD-' || lpad(g::text, 7, '0'), 'load ' || g, g % 100, (select id from categories order by slug limit 1)
        from generate_series(1, ${ROWS}) g`
    await analyser`analyze products`
  })
  await waitForCatchup(180_000)
  for (const sql of [primary, onReplica1]) {
    expected.push(
      ...(
        await sql`select id::text from products where sku in ('LOAD-0000100', 'LOAD-0000200', 'LOAD-0150000', 'LOAD-0160000')`
      ).map(r => r.id as string),
    )
  }
  await onReplica1`update products set price = price + 1 where sku in ('LOAD-0000100', 'LOAD-0150000')`
  await onReplica1`delete from inventory where product_id in (select id from products where sku in ('LOAD-0000200', 'LOAD-0160000'))`
  await onReplica1`delete from products where sku in ('LOAD-0000200', 'LOAD-0160000')`
  const extra =
    await onReplica1`insert into products (sku, title, price, category_id) select 'LOAD-EXTRA-' || g, 'extra', 1, (select id from categories order by slug limit 1) from generate_series(1, 2) g returning id::text`
  expected.splice(0, expected.length, ...new Set([...expected, ...extra.map(r => r.id as string)]))
  for (let i = 0; i < 2; i++) busy.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }))
  writer = (async () => {
    while (writing)
      await primary`insert into orders (customer_email, total) values ('replkit-test-load@example.com', 1)`
  })()
})

load.after(async () => {
  writing = false
  await writer
  for (const child of busy) child.kill()
  await onReplica1`delete from products where sku like 'LOAD-EXTRA-%'`
  await primary`delete from products where sku like 'LOAD-%'`
  await primary`delete from orders where customer_email = 'replkit-test-load@example.com'`
  await primary`alter table products reset (autovacuum_enabled)`
  await primary`analyze products`
  await waitForCatchup(180_000)
  await Promise.all([primary.end(), onReplica1.end(), analyser.end()])
})

load(
  '--diff products under load: the six keys by name, or "not compared" with exit 3 — never "no differing rows"',
  async () => {
    const [{ reltuples }] = await primary`select reltuples::float8 from pg_class where oid = 'products'::regclass`
    assert.ok(reltuples < ROWS / 100, `the statistics are not stale: ${reltuples}`)
    const run = await runScript('check-replication', ['--json', '--diff', 'products'])
    assert.is.not(run.code, 0, run.stdout.slice(0, 500))
    const json = JSON.parse(run.stdout) as CheckReport
    const notCompared = json.facts.diffNotCompared ?? {}
    if (json.diff && !(replica1.name in notCompared)) {
      assert.ok(json.diff.blocks > 1000, `cut into ${json.diff.blocks} blocks`)
      assert.ok(json.diff.differences, `not narrowed to keys: ${json.diff.tooManyRows} rows in differing blocks`)
      const named = json.diff.differences.map(d => d.key)
      assert.is(expected.length, 6)
      for (const id of expected) assert.ok(named.includes(id), `${id} not named: ${named.join(', ')}`)
    } else {
      assert.ok(notCompared[replica1.name], JSON.stringify(json.verdicts))
      assert.ok(json.status === 'UNKNOWN' || json.status === 'CRITICAL', json.status)
    }
  },
)

load(
  'a replica whose table is locked past the statement timeout: "could not be observed", its rows "not compared", exit 3 — not "down", not "no differing rows"',
  async () => {
    const locker = db(replica1)
    let release!: () => void
    const held = new Promise<void>(resolve => {
      release = resolve
    })
    let locked!: () => void
    const isLocked = new Promise<void>(resolve => {
      locked = resolve
    })
    const holding = locker.begin(async tx => {
      await tx`lock table products in access exclusive mode`
      locked()
      await held
    })
    try {
      await isLocked
      const run = await runScript('check-replication', ['--json', '--diff', 'products', '--statement-timeout', '2'])
      const json = JSON.parse(run.stdout) as CheckReport
      // Its own read or, on a machine this busy, the PRIMARY's 1M-row read may be the one that timed out.
      assert.match(
        json.facts.diffNotCompared?.[replica1.name] ?? '',
        /^(not read|the PRIMARY could not be read) \(.*statement timeout/,
        JSON.stringify(json.facts.diffNotCompared),
      )
      const mine = json.verdicts.filter(v => v.node === replica1.name).map(v => `${v.level} ${v.problem}: ${v.fix}`)
      assert.ok(
        mine.some(v =>
          /^unknown replica1 could not be observed: .*answered, but a query ran past its statement timeout/.test(v),
        ),
        mine.join('\n'),
      )
      assert.not.ok(
        mine.some(v => /is down|start replica1/.test(v)),
        mine.join('\n'),
      )
      assert.ok(run.code === 3 || run.code === 2, String(run.code))
      const text = await runScript('check-replication', ['--diff', 'products', '--statement-timeout', '2'])
      assert.not.match(text.stdout, /no differing rows on replica1/)
      assert.match(text.stdout, /Rows not compared \(--diff\)\s+replica1: (not read|the PRIMARY could not be read)/)
    } finally {
      release()
      await holding
      await locker.end()
    }
  },
)

load.run()
