// Copies onto a replica against obstacles on the replica itself (an ALWAYS trigger that raises, a
// CHECK constraint only the replica has): make sync's copy and fix-conflict --resync run in one
// replica transaction, so a refusal leaves every table and the subscription exactly as they were
// (checksums of all six tables before and after), names the object that refused, and the fix it
// prints, run as printed, brings the replica back to the PRIMARY's rows with nothing lost.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { config, db, runScript, until } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const atomic = suite('atomic resync')
const [replica1] = config.replicas
const primary = db()
const replicaSql = db(replica1)

atomic.before(async () => {
  await ensureReplication()
  await waitForCatchup()
})

atomic.after.each(async () => {
  await replicaSql.unsafe(
    'drop trigger if exists replkit_refuse on public.products; drop function if exists public.replkit_refuse(); alter table public.products drop constraint if exists replkit_cheap',
  )
})

atomic.after(async () => {
  await Promise.all([primary.end(), replicaSql.end()])
})

const state = async () =>
  JSON.stringify({
    rows: await fingerprints(replicaSql, config.tables),
    sub: await replicaSql`select oid::text, subenabled, subslotname from pg_subscription where subname = ${`sub_${replica1.name}`}`,
  })

/** The statement the fix names, exactly as printed. */
function printedFix(stderr: string): string {
  const fix = /Fix: on replica1: .*?((?:ALTER TABLE|DROP INDEX) [^;]+);/.exec(stderr)
  assert.ok(fix, `no statement in the printed fix: ${stderr}`)
  return fix![1]
}

const OBSTACLES = [
  {
    name: 'an ENABLE ALWAYS trigger that raises',
    create: [
      "create function public.replkit_refuse() returns trigger language plpgsql as $$ begin raise exception 'products are frozen here'; end $$",
      'create trigger replkit_refuse before insert on public.products for each row execute function public.replkit_refuse()',
      'alter table public.products enable always trigger replkit_refuse',
    ],
    object:
      /refused by trigger replkit_refuse on products \(function replkit_refuse\(\), ENABLE ALWAYS.*ERROR P0001: products are frozen here/,
  },
  {
    name: 'a CHECK constraint only the replica has (NOT VALID)',
    create: ['alter table public.products add constraint replkit_cheap check (price < 5) not valid'],
    object: /refused by CHECK constraint replkit_cheap on public\.products \(replica1 alone has it\): ERROR 23514/,
  },
]

for (const obstacle of OBSTACLES) {
  atomic(`make sync's copy against ${obstacle.name}: refused, nothing changed, the printed fix works`, async () => {
    for (const statement of obstacle.create) await replicaSql.unsafe(statement)
    const before = await state()
    const refused = await runScript('sync-replicas', ['--replica', replica1.name, '--copy', '--yes'])
    assert.is(refused.code, 2, refused.stdout + refused.stderr)
    assert.match(refused.stderr, obstacle.object)
    assert.match(
      refused.stderr,
      /nothing on replica1 changed: every table keeps its rows, sub_replica1 is as it was and applies again/,
    )
    assert.not.match(refused.stderr, /at .*\.js:\d+/)
    assert.is(await state(), before)
    const [slots] =
      await primary`select count(*)::int as n from pg_replication_slots where slot_name like 'sub_replica1%'`
    assert.is(slots.n, 1, 'the new slot was dropped')
    await replicaSql.unsafe(printedFix(refused.stderr))
    const again = await runScript('sync-replicas', ['--replica', replica1.name, '--copy', '--yes'])
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /all in one transaction/)
    assert.match(
      again.stdout,
      /rows equal the PRIMARY's for categories, products, inventory, orders, order_items, payments/,
    )
  })
}

atomic(
  'make replicate --truncate-replicas on a replica with rows and no subscription: refused by a CHECK only it has, nothing changed; after the printed fix, replaced in one transaction',
  async () => {
    await replicaSql.unsafe(`drop subscription sub_${replica1.name}`)
    await replicaSql.unsafe(OBSTACLES[1].create[0])
    const before = await state()
    const refused = await runScript('replicate', ['--truncate-replicas', '--yes'])
    assert.is(refused.code, 2, refused.stdout + refused.stderr)
    // One replica's refusal is a failed step (stdout); the other replicas' steps still run.
    assert.match(refused.stdout, OBSTACLES[1].object)
    assert.match(refused.stdout, /nothing on replica1 changed: every table keeps its rows/)
    assert.is(await state(), before)
    await replicaSql.unsafe(printedFix(refused.stdout))
    const again = await runScript('replicate', ['--truncate-replicas', '--yes'])
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /replica1: saved its rows before replacing them/)
    assert.match(again.stdout, /all in one transaction/)
    await waitForCatchup(30_000)
    assert.equal(await fingerprints(replicaSql, config.tables), await fingerprints(primary, config.tables))
  },
)

atomic(
  "a new replica's first copy (make replicate's default) against a trigger: refused, still empty with no subscription or slot; after the fix, a reader sees every table empty or whole, never half-copied",
  async () => {
    await replicaSql.unsafe(`drop subscription sub_${replica1.name}`)
    await replicaSql.unsafe(`truncate ${config.tables.map(t => `public.${t}`).join(', ')}`)
    for (const statement of OBSTACLES[0].create) await replicaSql.unsafe(statement)
    const empty = await state()
    const refused = await runScript('replicate')
    assert.is(refused.code, 2, refused.stdout + refused.stderr)
    assert.match(refused.stdout, OBSTACLES[0].object)
    assert.match(refused.stdout, /nothing on replica1 changed: every table keeps its rows/)
    assert.is(await state(), empty)
    const slots =
      await primary`select slot_name from pg_replication_slots where slot_name like ${`sub_${replica1.name}%`}`
    assert.is(slots.length, 0, 'the refused copy left no slot retaining WAL')
    await replicaSql.unsafe(printedFix(refused.stdout))

    // A reader on replica1 during the copy: it waits on the tables' lock, then sees them whole.
    const seen = new Set<string>()
    let reading = true
    const reader = (async () => {
      const r = db(replica1)
      while (reading)
        seen.add(
          JSON.stringify(
            await r`select (select count(*)::int from products) as p, (select count(*)::int from orders) as o`,
          ),
        )
      await r.end()
    })()
    const copied = await runScript('replicate')
    reading = false
    await reader
    assert.is(copied.code, 0, copied.stdout + copied.stderr)
    assert.match(
      copied.stdout,
      /replica1: sub_replica1 created on slot sub_replica1 \(copy_data = false: the rows came from its snapshot/,
    )
    const [whole] =
      await primary`select (select count(*)::int from products) as p, (select count(*)::int from orders) as o`
    for (const s of seen)
      assert.ok([JSON.stringify([{ p: 0, o: 0 }]), JSON.stringify([whole])].includes(s), `a reader saw ${s}`)
    await waitForCatchup(30_000)
    assert.equal(await fingerprints(replicaSql, config.tables), await fingerprints(primary, config.tables))
  },
)

atomic(
  "apply stopped by an ALWAYS trigger: check names the trigger's function, fix-conflict refuses a resync that would hit it, the printed fix lets apply resume with nothing lost",
  async () => {
    for (const statement of OBSTACLES[0].create) await replicaSql.unsafe(statement)
    const sku = 'REPLKIT-TEST-ATOMIC-TRIGGER'
    await primary`insert into products (sku, title, price, category_id) select ${sku}, 'blocked by a replica trigger', 3, id from categories order by slug limit 1`
    try {
      await until(
        "the apply worker to count the trigger's error",
        30_000,
        async () =>
          (
            await replicaSql`select apply_error_count > 0 as failed from pg_stat_subscription_stats s join pg_subscription p on p.oid = s.subid where p.subname = ${`sub_${replica1.name}`}`
          )[0]?.failed === true,
      )
      const before = await state()
      const refused = await runScript('fix-conflict', ['--replica', replica1.name, '--resync', '--yes'])
      assert.is(refused.code, 2, refused.stdout + refused.stderr)
      assert.match(
        refused.stderr,
        /not repaired with --resync: the failure is a trigger on replica1 \(PL\/pgSQL function (public\.)?replkit_refuse\(\) line \d+ at RAISE\)/,
      )
      assert.is(await state(), before)
      const check = JSON.parse((await runScript('check-replication', ['--json'])).stdout) as CheckReport
      const verdict = check.verdicts.find(
        v => v.node === replica1.name && /a trigger on the replica raised "products are frozen here"/.test(v.problem),
      )
      assert.ok(verdict, JSON.stringify(check.verdicts))
      // The fix as printed: find the trigger by its function, then disable it.
      const find = /on replica1: (SELECT tgname FROM pg_trigger WHERE [^;]+);/.exec(verdict!.fix)![1]
      const [{ tgname }] = await replicaSql.unsafe(find)
      const disable = /(ALTER TABLE \S+ DISABLE TRIGGER) <that name>/.exec(verdict!.fix)![1]
      await replicaSql.unsafe(`${disable} ${tgname}`)
      await waitForCatchup(30_000)
      const [arrived] = await replicaSql`select count(*)::int as n from products where sku = ${sku}`
      assert.is(arrived.n, 1, 'the blocked row arrived once the trigger was disabled')
      assert.equal(await fingerprints(replicaSql, config.tables), await fingerprints(primary, config.tables))
    } finally {
      await primary`delete from products where sku = ${sku}`
      // Leave the subscription as the suites after this one expect it: no apply errors counted.
      await replicaSql`select pg_stat_reset_subscription_stats(oid) from pg_subscription where subname = ${`sub_${replica1.name}`}`
    }
  },
)

atomic.run()
