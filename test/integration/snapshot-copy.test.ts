// make replicate's initial copy from the slot's exported snapshot: under a writer that inserts,
// updates and deletes while the tables are copied, every replica ends with exactly the PRIMARY's
// rows (none lost, none twice); a copy that fails drops its slot and removes what it copied, the
// replica keeps every index, and the next run copies it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { subscriptionName } from '../../scripts/lib/replication/names.js'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import { config, db, query, runScript } from './helpers.js'
import { ensureReplication, removeReplication, waitForCatchup } from './replication-fixture.js'

const copy = suite('initial copy from the exported snapshot')
const [replica1] = config.replicas
const primary = db()
const ROWS = 100_000

copy.before(async () => {
  await removeReplication({ keepWalLevel: true })
  await primary`
    insert into products (sku, title, price, category_id)
    select 'SNAP-' || lpad(g::text, 7, '0'), 'Snapshot copy ' || g, g % 100, (select id from categories order by slug limit 1)
      from generate_series(1, ${ROWS}) as g`
  await primary`vacuum analyze products`
})

copy.after(async () => {
  await query(replica1, 'alter table public.products drop constraint if exists snap_refuses_copy')
  await primary`delete from products where sku like 'SNAP-%'`
  await ensureReplication()
  await waitForCatchup(60_000)
  await primary.end()
})

const indexes = async (node = config.primary) =>
  (
    await query<{ i: string }>(
      node,
      `select indexrelname as i from pg_stat_user_indexes where schemaname = 'public' order by 1`,
    )
  ).map(r => r.i)
const allTables = async (node = config.primary) => JSON.stringify(await withFingerprints(node))
async function withFingerprints(node: typeof config.primary) {
  const sql = db(node)
  try {
    return await fingerprints(sql, config.tables)
  } finally {
    await sql.end()
  }
}

copy(
  'a copy that fails drops its slot, empties what it copied and keeps every index; the next run copies',
  async () => {
    // A constraint only replica1 has (not a column: no drift) refuses the copied products there.
    await query(
      replica1,
      `alter table public.products add constraint snap_refuses_copy check (sku not like 'SNAP-%') not valid`,
    )
    const failed = await runScript('replicate', ['--copy-method', 'parallel'])
    assert.is(failed.code, 2, failed.stdout + failed.stderr)
    assert.match(failed.stdout, /replica1: the initial copy failed; its slot was dropped and the copied rows removed/)
    assert.match(failed.stdout, /replica2: sub_replica2 created on slot sub_replica2/)
    assert.not.match(failed.stdout + failed.stderr, /\n\s+at /, 'no stack trace')
    const slots =
      await primary`select slot_name from pg_replication_slots where slot_name = ${subscriptionName(replica1)}`
    assert.is(slots.length, 0, 'the failed copy left no slot retaining WAL')
    // Every table, not only the one that refused: no other stream commits a part after the undo.
    for (const table of config.tables) {
      const [{ n }] = await query<{ n: number }>(replica1, `select count(*)::int as n from public.${table}`)
      assert.is(n, 0, `what the failed copy wrote into ${table} is gone`)
    }
    assert.equal(await indexes(replica1), await indexes(), 'every index is back on replica1')
    const [{ saved }] = await query<{ saved: number }>(
      replica1,
      'select count(*)::int as saved from replkit.deferred_indexes',
    )
    assert.is(saved, 0)

    await query(replica1, 'alter table public.products drop constraint snap_refuses_copy')
    const again = await runScript('replicate', ['--copy-method', 'parallel'])
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /replica1: copied 6 tables in \d+ parts from the snapshot of slot sub_replica1/)
    assert.match(again.stdout, /replica2: sub_replica2 exists and is enabled/)
    await waitForCatchup(60_000)
    assert.is(await allTables(replica1), await allTables())
  },
)

copy("under inserts, updates and deletes during the copy, every replica holds exactly the PRIMARY's rows", async () => {
  await removeReplication({ keepWalLevel: true })
  const writer = db()
  let writes = 0
  let running = true
  const writing = (async () => {
    for (let i = 1; running; i++) {
      const n = ((i * 7919) % ROWS) + 1
      const sku = `SNAP-${String(n).padStart(7, '0')}`
      await writer.begin(async tx => {
        await tx`update products set price = price + 1 where sku = ${sku}`
        await tx`insert into products (sku, title, price, category_id) select ${`SNAP-W${i}`}, 'written during the copy', 1, id from categories order by slug limit 1`
        if (i % 3 === 0) await tx`delete from products where sku = ${`SNAP-W${i - 1}`}`
      })
      writes++
    }
  })()
  const run = await runScript('replicate', ['--copy-method', 'parallel', '--copy-jobs', '2'])
  const duringCopy = writes
  running = false
  await writing
  await writer.end()
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /replica1: copied 6 tables in \d+ parts from the snapshot/)
  assert.match(run.stdout, /replica2: copied 6 tables in \d+ parts from the snapshot/)
  // A table's indexes are built as soon as it is in, while the other stream copies on.
  const [, built, early] =
    /replica1: copied .* built (\d+) deferred indexes \((\d+) of them while other tables still copied/.exec(
      run.stdout,
    ) ?? []
  assert.ok(Number(built) >= 2 && Number(early) >= 1, run.stdout)
  assert.ok(duringCopy >= 20, `the writer committed ${duringCopy} transactions while make replicate ran`)
  await waitForCatchup(60_000)
  const expected = await allTables()
  for (const replica of config.replicas) {
    assert.is(await allTables(replica), expected, `${replica.name} holds exactly the PRIMARY's rows`)
    assert.equal(await indexes(replica), await indexes(), `${replica.name} has every index`)
  }
  const [{ dup }] = await query<{ dup: number }>(
    replica1,
    `select count(*) - count(distinct sku) as dup from public.products`,
  )
  assert.is(Number(dup), 0, 'no row twice')

  const second = await runScript('replicate', ['--copy-method', 'parallel'])
  assert.is(second.code, 0)
  assert.match(second.stdout, /nothing to change/)
})

copy.run()
