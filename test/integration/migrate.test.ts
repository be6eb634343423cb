// make migrate on the test cluster, under a live writer: a release's additive changes (a column
// with a constant default, a wider type whose new range is written right after, an index, a
// constraint) and then its subtractive ones (the column and index dropped) land on every node with
// no apply error, no row lost and schemas equal (make check's drift verdict is the proof); the
// same file again changes nothing; a run stopped part-way is taken back by the file it names; a
// file with one unsafe statement (a RENAME, a narrowing) is refused whole, nothing run anywhere.
// A new table: migrate-publish.test.ts.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { startWriter, writerRowsOn } from '../../scripts/lib/chaos/writer.js'
import { config, db, query, runScript, tempFile } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const mig = suite('migrate')
const nodes = [config.primary, ...config.replicas]

const RELEASE = `-- a release: a loyalty tier, wider quantities, an index, a rule
ALTER TABLE orders ADD COLUMN loyalty_tier text DEFAULT 'none';
ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;
CREATE INDEX IF NOT EXISTS orders_loyalty_idx ON orders (loyalty_tier);
ALTER TABLE orders ADD CONSTRAINT orders_loyalty_known CHECK (loyalty_tier IN ('none', 'silver', 'gold')) NOT VALID;
`
const RETIRE = `ALTER TABLE orders DROP CONSTRAINT orders_loyalty_known;
DROP INDEX orders_loyalty_idx;
ALTER TABLE orders DROP COLUMN loyalty_tier;
`

/** The column on each node: its type, or null where it does not exist. */
const columnOn = (table: string, column: string) =>
  Promise.all(
    nodes.map(async n => {
      const [row] = await query<{ type: string | null }>(
        n,
        `select format_type(atttypid, atttypmod) as type from pg_attribute
          where attrelid = 'public.${table}'::regclass and attname = '${column}' and not attisdropped`,
      )
      return row?.type ?? null
    }),
  )

const checkCode = async () => {
  const run = await runScript('check-replication', ['--json'])
  return { code: run.code, out: run.stdout }
}

mig.before(async () => {
  await ensureReplication()
  await waitForCatchup()
})

/** The order that holds the widened type's new range. */
const WIDE_EMAIL = 'replkit-migrate-wide@replkit.test'

mig.after(async () => {
  // Whatever a failure left: the writer's rows gone (they hold the wider range), the release
  // undone on every node (a narrowing is by hand).
  await query(
    config.primary,
    `delete from public.orders where customer_email in ('replkit-chaos@replkit.test', '${WIDE_EMAIL}')`,
  )
  await waitForCatchup()
  for (const n of nodes) {
    await query(n, 'alter table public.orders drop column if exists loyalty_tier')
    await query(n, 'alter table public.payments drop column if exists note')
    await query(n, 'drop index if exists public.orders_loyalty_idx')
    await query(n, 'alter table public.order_items alter column quantity type integer')
  }
})

mig(
  'a release and its retirement under a live writer: every node changed in order, no apply error, no row lost, schemas equal',
  async () => {
    const release = await tempFile('release.sql', RELEASE)
    const dry = await runScript('migrate', ['--file', release, '--dry-run'])
    assert.is(dry.code, 0, dry.stdout + dry.stderr)
    assert.match(dry.stdout, /-- 1\. on replica1, replica2: additive[^\n]*\nALTER TABLE orders ADD COLUMN loyalty_tier/)
    assert.match(
      dry.stdout,
      /-- 4\. on replica1, replica2, once every replica applied the PRIMARY's WAL past it: one constraint more/,
    )
    assert.equal(await columnOn('orders', 'loyalty_tier'), [null, null, null], 'a dry run changes nothing')

    const writer = startWriter(config.primary, 200)
    try {
      await new Promise(r => setTimeout(r, 1000))
      const run = await runScript('migrate', ['--file', release, '--yes'])
      assert.is(run.code, 0, run.stdout + run.stderr)
      // Additive: the replicas before the PRIMARY.
      const lines = run.stdout.split('\n')
      const at = (re: RegExp) => lines.findIndex(l => re.test(l))
      assert.ok(at(/replica2: ALTER TABLE orders ADD COLUMN/) < at(/primary: ALTER TABLE orders ADD COLUMN/))
      assert.ok(at(/primary: ALTER TABLE orders ADD CONSTRAINT/) < at(/replica1: ALTER TABLE orders ADD CONSTRAINT/))
      // The new range, written right after: past integer's 2^31 - 1, on an order of its own (the
      // writer deletes its own orders as it goes).
      await query(
        config.primary,
        `with o as (insert into public.orders (customer_email, total) values ('${WIDE_EMAIL}', 1) returning id)
         insert into public.order_items (order_id, product_id, quantity, unit_price)
         select o.id, (select id from public.products order by id limit 1), 3000000000, 1 from o`,
      )
      await new Promise(r => setTimeout(r, 1000))
      const retire = await runScript('migrate', ['--file', await tempFile('retire.sql', RETIRE), '--yes'])
      assert.is(retire.code, 0, retire.stdout + retire.stderr)
      // Subtractive: the PRIMARY first, the replicas once they applied past it.
      assert.match(
        retire.stdout,
        /primary: ALTER TABLE orders DROP COLUMN loyalty_tier\n.*every replica applied the PRIMARY's WAL past statement 3/,
      )
      await new Promise(r => setTimeout(r, 1000))
    } finally {
      const result = await writer.stop()
      await waitForCatchup()
      for (const n of nodes) {
        const sql = db(n)
        const rows = await writerRowsOn(sql, result).finally(() => sql.end())
        assert.equal(rows, { missing: 0, resurrected: 0 }, `${n.name}: every committed write there`)
      }
    }
    assert.equal(await columnOn('order_items', 'quantity'), ['bigint', 'bigint', 'bigint'])
    const wide = await Promise.all(
      nodes.map(n =>
        query<{ n: number }>(n, 'select count(*)::int as n from public.order_items where quantity > 2147483647'),
      ),
    )
    assert.equal(
      wide.map(([r]) => r.n),
      [1, 1, 1],
      'the row of the new range is on every node',
    )
    assert.equal(await columnOn('orders', 'loyalty_tier'), [null, null, null])
    const check = await checkCode()
    assert.is(check.code, 0, check.out.slice(0, 3000))
    assert.not.match(check.out, /apply error|drift/)

    const again = await runScript('migrate', ['--file', await tempFile('retire.sql', RETIRE), '--yes'])
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /\n0 changed, \d+ already in place/, 'the same file again changes nothing')
  },
)

mig(
  'a run stopped part-way by a lock names the way forward and a file that takes it back; that file run as printed undoes it everywhere',
  async () => {
    const release = await tempFile(
      'stopped.sql',
      `ALTER TABLE orders ADD COLUMN loyalty_tier text DEFAULT 'none';
CREATE INDEX orders_loyalty_idx ON orders (loyalty_tier);
ALTER TABLE payments ADD COLUMN note text;
`,
    )
    // A session on replica2 holds payments: statement 3 runs on replica1, then waits 5 s there and stops.
    const holder = db(config.replicas[1])
    let release2: () => void = () => {}
    const held = new Promise<void>(resolve => {
      release2 = resolve
    })
    const holding = holder.begin(async tx => {
      await tx`lock table public.payments in access share mode`
      await held
    })
    let stopped: Awaited<ReturnType<typeof runScript>>
    try {
      stopped = await runScript('migrate', ['--file', release, '--yes'])
    } finally {
      release2()
      await holding
      await holder.end()
    }
    assert.is(stopped.code, 2, stopped.stdout + stopped.stderr)
    assert.match(stopped.stderr, /replica2: statement 3 failed: .*waited 5s for its lock/)
    const undo = /to take it back, make migrate ARGS="--file (\S+) --yes"/.exec(stopped.stderr)?.[1]
    assert.ok(undo, stopped.stderr)
    assert.equal(await columnOn('payments', 'note'), [null, 'text', null], 'stopped part-way: on replica1 only')
    assert.equal(await columnOn('orders', 'loyalty_tier'), ['text', 'text', 'text'])

    const back = await runScript('migrate', ['--file', undo!, '--yes'])
    assert.is(back.code, 0, back.stdout + back.stderr)
    assert.equal(await columnOn('payments', 'note'), [null, null, null])
    assert.equal(await columnOn('orders', 'loyalty_tier'), [null, null, null])
    const indexes = await Promise.all(
      nodes.map(n => query<{ i: string | null }>(n, "select to_regclass('public.orders_loyalty_idx')::text as i")),
    )
    assert.equal(
      indexes.map(([r]) => r.i),
      [null, null, null],
    )
    const check = await checkCode()
    assert.is(check.code, 0, check.out.slice(0, 3000))
  },
)

mig(
  'a file with one unsafe statement is refused whole, with the reason and the procedure; nothing runs anywhere',
  async () => {
    const mixed = await tempFile(
      'mixed.sql',
      `ALTER TABLE orders ADD COLUMN loyalty_tier text;\nALTER TABLE orders RENAME COLUMN total TO amount;\nALTER TABLE orders ADD COLUMN created_by text DEFAULT current_user;\nALTER TABLE order_items ALTER COLUMN quantity TYPE smallint;`,
    )
    const run = await runScript('migrate', ['--file', mixed, '--yes'])
    assert.is(run.code, 2, run.stdout + run.stderr)
    assert.match(
      run.stdout,
      /refused: ALTER TABLE orders RENAME COLUMN total TO amount: a RENAME under a live subscription stops apply/,
    )
    assert.match(
      run.stdout,
      /refused: ALTER TABLE orders ADD COLUMN created_by text DEFAULT current_user: its DEFAULT current_user is not a constant/,
    )
    assert.match(
      run.stdout,
      /refused: ALTER TABLE order_items ALTER COLUMN quantity TYPE smallint: \w+ → smallint is not a widening/,
    )
    assert.match(run.stderr, /migrate refused 3 of 4 statement\(s\), for the reasons above; nothing was run/)
    assert.equal(await columnOn('orders', 'loyalty_tier'), [null, null, null], 'the safe statement did not run either')
    const noYes = await runScript('migrate', ['--file', mixed])
    assert.is(noYes.code, 1)
    assert.match(noYes.stderr, /re-run with --yes/)
    const missing = await runScript('migrate', ['--file', '/nonexistent/change.sql', '--yes'])
    assert.is(missing.code, 1)
    assert.match(missing.stderr, /change\.sql: cannot read the file/)
  },
)

mig.run()
