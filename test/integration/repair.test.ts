// Comparing and repairing rows while the PRIMARY keeps taking writes: --diff names exactly the
// rows a replica lost, gained or changed (none of the rows being written), make repair writes
// exactly those rows and the writer's rows all arrive; the fix make check prints (make sync)
// repairs a small difference by touching only the differing rows; every kind of key compares.
import { readFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { $ } from 'zx'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { compareTable } from '../../scripts/lib/compare/at-lsn.js'
import { repoRoot } from '../../scripts/lib/config.js'
import { type Sql, connect, withNode } from '../../scripts/lib/db.js'
import { repairTable } from '../../scripts/lib/repair/repair.js'
import { config, db, fingerprint, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const repair = suite('compare and repair under live writes')
const [replica1, replica2] = config.replicas
const primary = db()
const onReplica1 = db(replica1)
const onReplica2 = db(replica2)
const POOL = 20_000

repair.before(async () => {
  await ensureReplication()
  await primary`
    insert into products (sku, title, price, category_id)
    select 'REPAIR-' || lpad(g::text, 6, '0'), 'Repair test ' || g, g % 100, (select id from categories order by slug limit 1)
      from generate_series(1, ${POOL}) as g`
  await primary`analyze products`
  await waitForCatchup(60_000)
})

repair.after(async () => {
  await primary`delete from products where sku like 'REPAIR-%'`
  await waitForCatchup(60_000)
  // Rows only replica1 ever had (the extra ones), if a failed test left them.
  await asApplyWorker(onReplica1, tx => tx`delete from products where sku like 'REPAIR-%'`)
  await Promise.all([primary.end(), onReplica1.end(), onReplica2.end()])
})

/** Writes on a replica as the apply worker does (no trigger fires): a replica broken by hand. */
async function asApplyWorker(sql: Sql, fn: (tx: Sql) => Promise<unknown>): Promise<void> {
  await sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await fn(tx as unknown as Sql)
  })
}

interface Broken {
  missing: string[]
  different: string[]
  extra: string[]
}

/** n rows of each kind of difference on replica1, among REPAIR- rows the writer never touches (numbers 1..999). */
async function breakReplica1(n: number, from: number): Promise<Broken> {
  const skus = (offset: number) =>
    Array.from({ length: n }, (_, i) => `REPAIR-${String(from + offset + i).padStart(6, '0')}`)
  const ids = async (list: string[]) =>
    (await primary`select id::text from products where sku = any(${list}) order by sku`).map(r => r.id as string)
  const broken: Broken = { missing: await ids(skus(0)), different: await ids(skus(n)), extra: [] }
  await asApplyWorker(onReplica1, async tx => {
    await tx`delete from products where id = any(${broken.missing}::uuid[])`
    await tx`update products set price = price + 1 where id = any(${broken.different}::uuid[])`
    broken.extra = (
      await tx`
      insert into products (sku, title, price, category_id)
      select 'REPAIR-EXTRA-' || ${from} || '-' || g, 'on replica1 only', 1, (select id from categories order by slug limit 1)
        from generate_series(1, ${n}) as g
      returning id::text`
    ).map(r => r.id as string)
  })
  return broken
}

/**
 * The application: updates random REPAIR- rows numbered 1000 and up, hammers one of them (a row
 * always being written), inserts rows and deletes some of them again, at about `rate` writes/s.
 * Remembers what it committed, to check every row arrived.
 */
function startProductWriter(rate: number) {
  const sql = connect(config.primary, { max: 4 })
  const live = new Set<string>()
  const gone = new Set<string>()
  let writes = 0
  let running = true
  const hot = 'REPAIR-001000'
  const worker = async (w: number) => {
    while (running) {
      const started = performance.now()
      const roll = Math.random()
      if (w === 0) await sql`update products set stock = stock + 1 where sku = ${hot}`
      else if (roll < 0.6)
        await sql`update products set stock = stock + 1 where sku = ${`REPAIR-${String(1000 + Math.floor(Math.random() * (POOL - 1000))).padStart(6, '0')}`}`
      else if (roll < 0.85 || live.size < 10) {
        const sku = `REPAIR-LIVE-${randomUUID()}`
        await sql`insert into products (sku, title, price, category_id) select ${sku}, 'live', 1, id from categories order by slug limit 1`
        live.add(sku)
      } else {
        const sku = [...live][Math.floor(Math.random() * live.size)]
        live.delete(sku)
        await sql`delete from products where sku = ${sku}`
        gone.add(sku)
      }
      writes++
      await sleep(Math.max(0, 4000 / rate - (performance.now() - started)))
    }
  }
  const workers = [0, 1, 2, 3].map(worker)
  const started = performance.now()
  return {
    async stop() {
      running = false
      await Promise.all(workers)
      await sql.end()
      return { writes, perSecond: writes / ((performance.now() - started) / 1000), live: [...live], gone: [...gone] }
    },
  }
}

async function checkJson(...args: string[]): Promise<{ code: number; json: CheckReport }> {
  const run = await runScript('check-replication', ['--json', ...args])
  try {
    return { code: run.code, json: JSON.parse(run.stdout) as CheckReport }
  } catch {
    throw new Error(`check printed no JSON:\n${run.stdout}\n${run.stderr}`)
  }
}

repair(
  'under ~300 writes/s: --diff names exactly the missing, changed and extra rows; make repair writes exactly those; every written row arrives',
  async () => {
    const broken = await breakReplica1(3, 1)
    const writer = startProductWriter(300)
    let stopped: Awaited<ReturnType<typeof writer.stop>> | null = null
    try {
      await sleep(1000)
      const { code, json } = await checkJson('--diff', 'products')
      assert.is(code, 2)
      const products = json.consistency.find(c => c.table === 'products')!
      // replica2 holds every row; the one rewritten ~75 times a second may still be "being written" there, never different.
      assert.equal(
        products.cells.slice(0, 2).map(c => c.state),
        ['reference', 'differs'],
      )
      assert.ok(['match', 'writing'].includes(products.cells[2].state), products.cells[2].state)
      assert.ok(products.rounds! >= 2, `rounds ${products.rounds}`)
      assert.not.ok(
        json.notes.some(n => /not compared/.test(n)),
        json.notes.join('\n'),
      )
      const found = (state: string) =>
        json
          .diff!.differences!.filter(d => d.nodes[replica1.name] === state)
          .map(d => d.key)
          .sort()
      assert.equal(found('missing'), [...broken.missing].sort())
      assert.equal(found('different'), [...broken.different].sort())
      assert.equal(found('extra'), [...broken.extra].sort())
      assert.is(json.diff!.differences!.length, 9, 'no row the writer was writing is reported')
      assert.ok(
        json
          .diff!.differences!.filter(d => d.nodes[replica1.name] === 'different')
          .every(d => d.columns[replica1.name].join() === 'price'),
      )
      assert.not.ok(
        json.diff!.differences!.some(d => d.nodes[replica2.name]),
        'replica2 holds every row',
      )

      const run = await runScript('repair', ['--replica', replica1.name, '--table', 'products', '--yes'])
      assert.is(run.code, 0, run.stdout + run.stderr)
      assert.match(run.stdout, /products: 9 rows written \(3 inserted, 3 updated, 3 deleted\)/)
      assert.match(
        run.stdout,
        /rows equal the PRIMARY's for products \(the repaired rows compared again at an LSN it reached\)/,
      )
      const file = /saved in (\S+\.jsonl) \(([^)]*)\)/.exec(run.stdout)![1]
      // The saved rows' keys are listed: the first five, and how many more.
      const listed = /saved in \S+\.jsonl \(([^)]*)\)/.exec(run.stdout)![1]
      assert.match(listed, /, … 1 more$/)
      assert.is(listed.split(', ').filter(k => [...broken.extra, ...broken.different].includes(k)).length, 5)
      const saved = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map(l => JSON.parse(l) as { action: string; key: { id: string }; row: { price: number } })
      assert.equal(
        saved
          .filter(s => s.action === 'delete')
          .map(s => s.key.id)
          .sort(),
        [...broken.extra].sort(),
      )
      assert.equal(
        saved
          .filter(s => s.action === 'update')
          .map(s => s.key.id)
          .sort(),
        [...broken.different].sort(),
      )
    } finally {
      stopped = await writer.stop()
    }
    assert.ok(stopped.perSecond > 150, `the writer managed ${stopped.perSecond.toFixed(0)} writes/s`)
    await waitForCatchup(30_000)
    assert.is(await fingerprint(onReplica1), await fingerprint(primary))
    assert.is(await fingerprint(onReplica2), await fingerprint(primary))
    for (const sql of [onReplica1, onReplica2]) {
      const [{ live, gone }] = await sql`
      select count(*) filter (where sku = any(${stopped.live}))::int as live, count(*) filter (where sku = any(${stopped.gone}))::int as gone from products`
      assert.equal([live, gone], [stopped.live.length, 0])
    }
  },
)

repair(
  'the fix make check prints, make sync, repairs a small difference by writing only the differing rows; nothing else anywhere is written',
  async () => {
    const broken = await breakReplica1(2, 100)
    const { json } = await checkJson()
    const fix = json.verdicts.find(v => v.node === replica1.name && /products/.test(v.problem))!.fix
    const command = /make sync ARGS="([^"]+)"/.exec(fix)![1]
    assert.is(command, `--replica ${replica1.name} --yes`)
    const [{ marker }] = await onReplica1`select txid_current()::text as marker`
    const [primaryBefore, replica2Before] = [await fingerprint(primary), await fingerprint(onReplica2)]
    const run = await $({ cwd: repoRoot, quiet: true, nothrow: true })`make -s sync ARGS=${command}`
    assert.is(run.exitCode, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /6 rows differ \(products 6\): only those are repaired/, run.stdout)
    // Rows the repair wrote carry its transactions' ids: exactly the missing and the changed ones.
    const written = (
      await onReplica1`select id::text from products where xmin::text::int8 > ${marker}::int8 % 4294967296 order by 1`
    ).map(r => r.id as string)
    assert.equal(written, [...broken.missing, ...broken.different].sort())
    assert.is(
      (await onReplica1`select count(*)::int as n from products where id = any(${broken.extra}::uuid[])`)[0].n,
      0,
    )
    assert.is(await fingerprint(onReplica1), primaryBefore)
    assert.is(await fingerprint(primary), primaryBefore)
    assert.is(await fingerprint(onReplica2), replica2Before)
    assert.is((await checkJson()).code, 0)
  },
)

repair(
  'every kind of key: uuid, bigint, text, numeric and composite keys, NULLs and text forms of many types; differences found and repaired',
  async () => {
    const scratch = 'replkit_keys'
    const nodes = [config.primary, replica1]
    const spec = (n: typeof config.primary) => ({
      ...n,
      database: scratch,
      label: n.label.replace(/\/[^/]+$/, `/${scratch}`),
    })
    for (const n of nodes) {
      await withNode({ ...n, database: 'postgres' }, sql =>
        sql
          .unsafe(`drop database if exists ${scratch} with (force)`)
          .then(() => sql.unsafe(`create database ${scratch}`)),
      )
      await withNode(spec(n), sql =>
        sql.unsafe(`
      create table k_bigint (id bigint primary key, f float8, ts timestamptz, b bytea, j jsonb, n numeric, note text);
      insert into k_bigint select g, g / 3.0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', int4send(g), jsonb_build_object('g', g),
                                  g / 7.0, case when g % 3 = 0 then null else e'line\\nwith ''quotes'' ' || g end from generate_series(1, 3000) g;
      create table k_text (k text primary key, v text);
      insert into k_text select 'key-' || g, 'v' || g from generate_series(1, 3000) g;
      create table k_numeric (k numeric primary key, v text);
      insert into k_numeric select g / 4.0, 'v' || g from generate_series(1, 3000) g;
      create table k_composite (a int, b text, qty int, primary key (a, b));
      insert into k_composite select g % 50, 'b' || g, g from generate_series(1, 3000) g;
      create table k_uuid (id uuid primary key, v text);
      insert into k_uuid select md5('k' || g)::uuid, 'v' || g from generate_series(1, 3000) g;
      analyze`),
      )
    }
    await withNode(spec(replica1), sql =>
      sql.unsafe(`
    delete from k_bigint where id = 10; update k_bigint set note = null where id = 11; update k_bigint set f = f + 1e-9 where id = 12; insert into k_bigint (id) values (-1);
    delete from k_text where k = 'key-10'; update k_text set v = 'x' where k = 'key-11'; insert into k_text values ('zz', 'extra');
    delete from k_numeric where k = 2.5; update k_numeric set v = 'x' where k = 0.25; insert into k_numeric values (-0.5, 'extra');
    delete from k_composite where a = 10 and b = 'b10'; update k_composite set qty = 0 where a = 11 and b = 'b11'; insert into k_composite values (-1, 'x', 1);
    delete from k_uuid where id = md5('k10')::uuid; update k_uuid set v = 'x' where id = md5('k11')::uuid; insert into k_uuid values (gen_random_uuid(), 'extra')`),
    )
    const p = { name: config.primary.name, sql: connect(spec(config.primary)), spec: spec(config.primary) }
    const r = { name: replica1.name, sql: connect(spec(replica1)), spec: spec(replica1), subscription: null }
    try {
      const expected: Record<string, [string, string][]> = {
        k_bigint: [
          ['-1', 'extra'],
          ['10', 'missing'],
          ['11', 'different'],
          ['12', 'different'],
        ],
        k_text: [
          ['key-10', 'missing'],
          ['key-11', 'different'],
          ['zz', 'extra'],
        ],
        k_numeric: [
          ['-0.5', 'extra'],
          ['0.25', 'different'],
          ['2.5', 'missing'],
        ],
        k_composite: [
          ['(-1, x)', 'extra'],
          ['(10, b10)', 'missing'],
          ['(11, b11)', 'different'],
        ],
      }
      for (const [table, keys] of Object.entries(expected)) {
        const diff = await compareTable(p, [r], table, { rows: true, timeoutMs: 30_000 })
        assert.equal(diff.differences!.map(d => [d.key, d.nodes[replica1.name]]).sort(), keys.sort(), table)
        assert.is(diff.blockKind, table === 'k_bigint' ? 'range' : 'hash', table)
        // The rounds after the first (narrowing blocks to keys) are timed inside the compare's own time.
        assert.ok(
          diff.rounds >= 2 && diff.narrowingMs > 0 && diff.narrowingMs < diff.ms,
          `${table}: ${JSON.stringify(diff)}`,
        )
      }
      const uuid = await compareTable(p, [r], 'k_uuid', { rows: true, timeoutMs: 30_000 })
      assert.equal(uuid.differences!.map(d => d.nodes[replica1.name]).sort(), ['different', 'extra', 'missing'])
      assert.equal(
        (await compareTable(p, [r], 'k_bigint', { rows: true, timeoutMs: 30_000 })).differences!.find(
          d => d.key === '11',
        )!.columns[replica1.name],
        ['note'],
      )
      const target = { config, primary: p, replica: r }
      for (const table of [...Object.keys(expected), 'k_uuid']) {
        const fixed = await repairTable(target, table, {
          dryRun: false,
          batchSize: 2,
          maxRows: 100,
          timeoutMs: 30_000,
          say: () => {},
        })
        assert.equal(
          [fixed.inserted, fixed.updated, fixed.deleted, fixed.after],
          table === 'k_bigint' ? [1, 2, 1, 'equal'] : [1, 1, 1, 'equal'],
          table,
        )
      }
    } finally {
      await Promise.all([p.sql.end(), r.sql.end()])
      for (const n of nodes)
        await withNode({ ...n, database: 'postgres' }, sql =>
          sql.unsafe(`drop database if exists ${scratch} with (force)`),
        )
    }
  },
)

repair.run()
