// The fault catalogue, on the real cluster: each test breaks it one way, asserts what make check
// names (cause, severity, exit code), runs exactly the fix it prints, and proves nothing was lost
// (every replicated table's count and checksum equal on all nodes, rows written meanwhile there).
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import { config, db, query, runScript, until } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const faults = suite('fault catalogue')
const [replica1, replica2] = config.replicas
const nodes = [config.primary, ...config.replicas]

interface Report {
  exitCode: number
  status: string
  verdicts: { code: string; level: string; node: string; problem: string; fix: string }[]
  notes: string[]
}

async function check(env: Record<string, string> = {}): Promise<Report & { code: number }> {
  const run = await runScript('check-replication', ['--json'], env)
  try {
    return { ...(JSON.parse(run.stdout) as Report), code: run.code }
  } catch {
    throw new Error(`check printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
  }
}

const find = (r: Report, pattern: RegExp) => r.verdicts.find(v => pattern.test(`${v.problem}: ${v.fix}`))

/** Caught up, then every replicated table identical on every node. */
async function provenEqual(): Promise<void> {
  await waitForCatchup(60_000)
  const [primary, ...replicas] = await Promise.all(
    nodes.map(async n => {
      const sql = db(n)
      return fingerprints(sql, config.tables).finally(() => sql.end())
    }),
  )
  replicas.forEach((r, i) => {
    assert.equal(r, primary, `${config.replicas[i].name} differs from the PRIMARY`)
  })
}

/** Waits until check's verdicts match, for faults a worker reaches only after a retry. */
/** make check until a verdict matches pattern (on every replica named in `on`: each worker logs its failure when it retries). */
async function checkUntil(pattern: RegExp, timeoutMs = 20_000, on: string[] = []): Promise<Report & { code: number }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await check()
    const everywhere = on.every(node => r.verdicts.some(v => v.node === node && pattern.test(v.problem)))
    if ((find(r, pattern) && everywhere) || Date.now() > deadline) return r
    await new Promise(resolve => setTimeout(resolve, 300))
  }
}

faults.before(async () => {
  await ensureReplication()
})

faults(
  'a column added on the PRIMARY only: named with its DDL; resync refuses and touches nothing; the DDL repairs it',
  async () => {
    await query(config.primary, `alter table public.products add column color text default 'red'`)
    await query(config.primary, `alter table public.orders add column channel text`)
    try {
      await query(
        config.primary,
        `insert into public.products (sku, title, price, category_id, color) select 'DRIFT-1', 'drift', 1, id, 'blue' from public.categories limit 1`,
      )
      await query(
        config.primary,
        `insert into public.orders (customer_email, total, channel) values ('drift@replkit.test', 5, 'web')`,
      )
      const r = await checkUntil(/products\.color .* not on replica2/)
      assert.is(r.code, 2)
      for (const replica of config.replicas) {
        const v = find(
          r,
          new RegExp(
            `products\\.color \\(text default 'red'::text\\) exists on the PRIMARY but not on ${replica.name}`,
          ),
        )
        assert.ok(v, JSON.stringify(r.verdicts, null, 1))
        assert.is(v!.level, 'critical')
        assert.match(
          v!.fix,
          new RegExp(`^on ${replica.name}: ALTER TABLE public\\.products ADD COLUMN color text DEFAULT 'red'::text;`),
        )
        assert.ok(
          find(
            r,
            new RegExp(
              `orders\\.channel \\(text\\) exists on the PRIMARY but not on ${replica.name}: on ${replica.name}: ALTER TABLE public\\.orders ADD COLUMN channel text;`,
            ),
          ),
        )
      }
      // The repair that emptied a replica before: now it proves the copy cannot succeed and stops.
      const [{ n: before }] = await query<{ n: number }>(replica1, 'select count(*)::int as n from public.products')
      const resync = await runScript('fix-conflict', ['--replica', replica1.name, '--resync', '--yes'])
      assert.is(resync.code, 2, resync.stdout + resync.stderr)
      assert.match(
        resync.stdout + resync.stderr,
        /schema drift, not a conflicting row|refusing to resync, the copy could not succeed — nothing was changed/,
      )
      const sync = await runScript('sync-replicas', ['--replica', replica1.name, '--yes'])
      assert.is(sync.code, 2)
      assert.match(sync.stderr, /refusing to resync, the copy could not succeed — nothing was changed:\n/)
      assert.match(
        sync.stderr,
        / {2}- schema drift: products\.color .*; align it first, on replica1: ALTER TABLE public\.products ADD COLUMN color/,
      )
      const [{ n: after }] = await query<{ n: number }>(replica1, 'select count(*)::int as n from public.products')
      assert.is(after, before)
      assert.is(
        (await query(replica1, `select 1 from pg_subscription where subname = 'sub_${replica1.name}'`)).length,
        1,
      )
      // The printed fix, exactly: each replica's DDL.
      for (const v of r.verdicts.filter(x => /^schema drift/.test(x.problem))) {
        const ddl = /^on (\w+): (ALTER TABLE [^;]+;)/.exec(v.fix)!
        await query(config.replicas.find(x => x.name === ddl[1])!, ddl[2])
      }
      await provenEqual()
      const healthy = await check()
      assert.is(healthy.code, 0, JSON.stringify(healthy.verdicts))
    } finally {
      // Whatever failed above, the replicas get the columns so the cleanup can replicate.
      for (const r of config.replicas)
        await query(
          r,
          `alter table public.products add column if not exists color text default 'red'; alter table public.orders add column if not exists channel text`,
        )
      await query(config.primary, `delete from public.products where sku = 'DRIFT-1'`)
      await query(config.primary, `delete from public.orders where customer_email = 'drift@replkit.test'`)
      await waitForCatchup(60_000)
      // Drop on the PRIMARY first, and on the replicas only once that has replicated (a change
      // still carrying the column would otherwise stop apply again).
      await query(
        config.primary,
        'alter table public.products drop column if exists color; alter table public.orders drop column if exists channel',
      )
      await query(
        config.primary,
        `insert into public.orders (customer_email, total) values ('drift-after@replkit.test', 1)`,
      )
      await waitForCatchup(60_000)
      for (const r of config.replicas)
        await query(
          r,
          'alter table public.products drop column if exists color; alter table public.orders drop column if exists channel',
        )
      await query(config.primary, `delete from public.orders where customer_email = 'drift-after@replkit.test'`)
      await provenEqual()
    }
  },
)

faults(
  'a column of another type on a replica (text cut to varchar(10)): named with its ALTER … USING; run as printed, apply resumes, and the make sync it names repairs the rows the short type cut',
  async () => {
    const sku = 'DRIFT-TYPE'
    await query(
      replica1,
      'alter table public.products alter column description type varchar(10) using left(description, 10)',
    )
    try {
      await query(
        config.primary,
        `insert into public.products (sku, title, description, price, category_id) select '${sku}', 'type drift', 'a description longer than ten characters', 1, id from public.categories order by slug limit 1`,
      )
      const r = await checkUntil(/products\.description is character varying\(10\) on replica1/)
      assert.is(r.code, 2)
      const v = find(r, /products\.description is character varying\(10\) on replica1 but text on the PRIMARY/)
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.is(v!.level, 'critical')
      const ddl =
        /^on replica1: (ALTER TABLE public\.products ALTER COLUMN description TYPE text USING description::text;)/.exec(
          v!.fix,
        )
      assert.ok(ddl, v!.fix)
      const sync = /make sync ARGS="(--replica replica1 --yes)"/.exec(v!.fix)
      assert.ok(sync, v!.fix)
      // The printed fix, exactly: the DDL, then (once apply has resumed) the sync it names.
      await query(replica1, ddl![1])
      await waitForCatchup(60_000)
      const [{ n }] = await query<{ n: number }>(
        replica1,
        `select count(*)::int as n from public.products where sku = '${sku}'`,
      )
      assert.is(n, 1, 'apply resumed: the row that stopped it arrived')
      const cut = await check()
      assert.ok(find(cut, /products differs in content on replica1/), JSON.stringify(cut.verdicts, null, 1))
      const repaired = await runScript('sync-replicas', sync![1].split(' '))
      assert.is(repaired.code, 0, repaired.stdout + repaired.stderr)
      await provenEqual()
      const healthy = await check()
      assert.is(healthy.code, 0, JSON.stringify(healthy.verdicts))
    } finally {
      const [{ type }] = await query<{ type: string }>(
        replica1,
        `select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'public.products'::regclass and attname = 'description'`,
      )
      if (type !== 'text') await query(replica1, 'alter table public.products alter column description type text')
      await query(config.primary, `delete from public.products where sku = '${sku}'`)
      await waitForCatchup(60_000)
    }
  },
)

faults('a NOT NULL column on a replica only: inserts stop there; the printed DROP COLUMN repairs it', async () => {
  await query(replica2, `alter table public.orders add column legacy_code text not null`)
  try {
    await query(config.primary, `insert into public.orders (customer_email, total) values ('legacy@replkit.test', 7)`)
    const r = await checkUntil(/orders\.legacy_code/)
    const v = find(r, /orders\.legacy_code \(text not null\) exists on replica2 but not on the PRIMARY/)
    assert.ok(v, JSON.stringify(r.verdicts, null, 1))
    assert.is(v!.level, 'critical')
    assert.is(r.code, 2)
    const ddl = /(ALTER TABLE public\.orders DROP COLUMN legacy_code;)/.exec(v!.fix)![1]
    await query(replica2, ddl)
    await provenEqual()
    assert.is((await check()).code, 0)
  } finally {
    await query(replica2, 'alter table public.orders drop column if exists legacy_code')
    await query(config.primary, `delete from public.orders where customer_email = 'legacy@replkit.test'`)
    await provenEqual()
  }
})

faults(
  "the replication role cannot log in: check says so with the server's message; make replicate repairs it; back to OK without a stats reset",
  async () => {
    await query(config.primary, `alter role ${config.replicatorUser} password 'not-the-right-one'`)
    await query(config.primary, `select pg_terminate_backend(pid) from pg_stat_replication`)
    await query(config.primary, `insert into public.orders (customer_email, total) values ('outage@replkit.test', 3)`)
    const r = await checkUntil(
      /cannot connect to the PRIMARY as the replication role/,
      30_000,
      config.replicas.map(n => n.name),
    )
    const v = find(r, /cannot connect to the PRIMARY as the replication role/)
    assert.ok(v, JSON.stringify(r.verdicts, null, 1))
    assert.match(v!.problem, /password authentication failed for user "replicator"/)
    assert.match(v!.fix, /^make replicate /)
    assert.not.ok(
      r.verdicts.some(x => /max_logical_replication_workers|pg_drop_replication_slot|SKIP/.test(x.fix)),
      JSON.stringify(r.verdicts),
    )
    assert.is(r.code, 2)
    const fix = await runScript('replicate')
    assert.is(fix.code, 0, fix.stdout + fix.stderr)
    await provenEqual()
    const after = await check()
    assert.is(after.code, 0, JSON.stringify(after.verdicts))
    assert.ok(
      after.notes.some(n => /counted \d+ apply errors in the past/.test(n)),
      after.notes.join('\n'),
    )
    await query(config.primary, `delete from public.orders where customer_email = 'outage@replkit.test'`)
    await provenEqual()
  },
)

faults(
  "a table written on the PRIMARY but not published: a warning; listed, make replicate creates it on the replicas from the PRIMARY's definition and copies it",
  async () => {
    const ddl =
      'create table if not exists public.gift_cards (id uuid primary key default gen_random_uuid(), code text not null)'
    await query(config.primary, ddl)
    const tables = [...config.tables, 'gift_cards'].join(',')
    try {
      await query(
        config.primary,
        `insert into public.gift_cards (code) select 'GC-' || g from generate_series(1, 25) g`,
      )
      await query(config.primary, 'analyze public.gift_cards')
      const r = await check()
      const v = find(r, /public\.gift_cards takes writes on the PRIMARY .* but is in no publication/)
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.is(v!.level, 'warning')
      assert.is(r.code, 1)
      assert.match(
        v!.fix,
        /^add it to PUBLICATION_TABLES in \.env, then make replicate: it creates it on every replica from the PRIMARY's definition/,
      )
      const fix = await runScript('replicate', [], { PUBLICATION_TABLES: tables })
      assert.is(fix.code, 0, fix.stdout + fix.stderr)
      assert.match(fix.stdout, /replica1: created gift_cards from the PRIMARY's definitions/)
      assert.match(fix.stdout, /sub_replica1 refreshed: copies gift_cards/)
      for (const replica of config.replicas) {
        const sql = db(replica)
        const ready = async () => (await sql`select count(*)::int as n from public.gift_cards`)[0].n === 25
        for (let i = 0; i < 100 && !(await ready()); i++) await new Promise(res => setTimeout(res, 100))
        assert.ok(await ready(), `${replica.name} did not get gift_cards`)
        await sql.end()
      }
      assert.is((await check({ PUBLICATION_TABLES: tables })).code, 0)
    } finally {
      const back = await runScript('replicate')
      assert.match(back.stdout, /no longer publishes public\.gift_cards/)
      for (const n of nodes) await query(n, 'drop table if exists public.gift_cards')
      await provenEqual()
    }
  },
)

faults(
  'a published table dropped on a replica while subscribed: the relation named, never "down"; the printed make replicate creates it from the PRIMARY\'s definition and copies its rows',
  async () => {
    const MARK = 'dropped-table@replkit.test'
    // CASCADE, as an operator must: replkit's row_counts view reads the table.
    await query(replica2, 'drop table public.payments cascade')
    try {
      await query(
        config.primary,
        `with o as (insert into public.orders (customer_email, total) values ('${MARK}', 12) returning id)
         insert into public.payments (order_id, amount, method) select id, 12, 'card' from o`,
      )
      const r = await checkUntil(/target relation "public\.payments" does not exist/, 30_000, [replica2.name])
      const stopped = find(r, /target relation "public\.payments" does not exist/)
      assert.ok(stopped, JSON.stringify(r.verdicts, null, 1))
      assert.is(stopped!.level, 'critical')
      assert.match(
        stopped!.fix,
        /^make replicate: it creates public\.payments on replica2 from the PRIMARY's definition and copies its rows/,
      )
      assert.ok(find(r, /table payments does not exist on replica2: make replicate: it creates payments/))
      assert.not.ok(
        r.verdicts.some(v => v.code === 'NODE_DOWN' || /pg_dump|make schema|SKIP|--resync/.test(v.fix)),
        JSON.stringify(r.verdicts, null, 1),
      )
      assert.is(r.code, 2)
      const fix = await runScript('replicate')
      assert.is(fix.code, 0, fix.stdout + fix.stderr)
      assert.match(fix.stdout, /replica2: created payments from the PRIMARY's definitions/)
      assert.match(fix.stdout, /sub_replica2 refreshed: copies payments/)
      // The CASCADE took replkit's views that read the table; make replicate puts them back.
      assert.ok(
        (await query(replica2, `select to_regclass('replkit.row_counts') as v`))[0].v,
        'replkit.row_counts restored',
      )
      await provenEqual()
      assert.is((await check()).code, 0)
    } finally {
      if (!(await query(replica2, `select to_regclass('public.payments') as t`))[0].t) await runScript('replicate')
      await query(
        config.primary,
        `delete from public.payments where order_id in (select id from public.orders where customer_email = '${MARK}')`,
      )
      await query(config.primary, `delete from public.orders where customer_email = '${MARK}'`)
      await provenEqual()
    }
  },
)

faults(
  'a slot about to lose WAL (wal_status unreserved): CRITICAL before the checkpoint that would invalidate it; the printed ALTER SYSTEM saves it, nothing lost',
  async () => {
    const sql = db(config.primary)
    await sql`alter system set max_slot_wal_keep_size = '16MB'`
    await sql`select pg_reload_conf()`
    try {
      await query(replica2, `alter subscription sub_${replica2.name} disable`)
      // A checkpoint now: the next timed one is checkpoint_timeout (5 min) away, past this test.
      await sql`checkpoint`
      for (let i = 0; i < 6; i++) {
        await sql`insert into public.orders (customer_email, total) select 'unreserved@replkit.test', g from generate_series(1, 40000) g`
        await sql`select pg_switch_wal()`
      }
      const [{ slot }] = await query<{ slot: string }>(
        replica2,
        `select subslotname as slot from pg_subscription where subname = 'sub_${replica2.name}'`,
      )
      const status = async () =>
        (await sql`select wal_status from pg_replication_slots where slot_name = ${slot}`)[0].wal_status as string
      assert.is(await status(), 'unreserved')
      const r = await check()
      const v = find(r, new RegExp(`slot ${slot} is about to lose WAL it needs \\(wal_status unreserved`))
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.is(v!.level, 'critical')
      // The printed fix, exactly: its statements on the PRIMARY, before any checkpoint.
      const statements = /(ALTER SYSTEM SET max_slot_wal_keep_size = '-1'); (SELECT pg_reload_conf\(\));/.exec(v!.fix)
      assert.ok(statements, v!.fix)
      for (const statement of statements!.slice(1)) await sql.unsafe(statement)
      await until('the new keep size to hold the slot', 10_000, async () =>
        ['reserved', 'extended'].includes(await status()),
      )
      // The checkpointer reads the reloaded setting on its own SIGHUP, a moment after this session.
      await sql`select pg_sleep(1)`
      await sql`checkpoint`
      assert.ok(['reserved', 'extended'].includes(await status()), 'the checkpoint kept its WAL')
      // Then the other half of it: replica2 catches up (its own verdict: the disabled subscription).
      await query(replica2, `alter subscription sub_${replica2.name} enable`)
      await query(config.primary, `delete from public.orders where customer_email = 'unreserved@replkit.test'`)
      await provenEqual()
    } finally {
      await sql`alter system reset max_slot_wal_keep_size`
      await sql`select pg_reload_conf()`
      await sql.end()
      await query(replica2, `alter subscription sub_${replica2.name} enable`)
      // A failed run may have lost the slot: the tests after this one need replica2 streaming.
      if (!(await check()).verdicts.every(v => v.code !== 'SUBSCRIPTION_SLOT_LOST'))
        await runScript('sync-replicas', ['--replica', replica2.name, '--yes'])
    }
    const after = await check()
    assert.is(after.code, 0, JSON.stringify(after.verdicts))
  },
)

faults(
  'a slot invalidated by max_slot_wal_keep_size: lost, never "ENABLE"; the printed make sync repairs it',
  async () => {
    await query(config.primary, `alter system set max_slot_wal_keep_size = '16MB'`)
    await query(config.primary, 'select pg_reload_conf()')
    try {
      await query(replica2, `alter subscription sub_${replica2.name} disable`)
      const sql = db(config.primary)
      for (let i = 0; i < 6; i++) {
        await sql`insert into public.orders (customer_email, total) select 'wal@replkit.test', g from generate_series(1, 40000) g`
        await sql`select pg_switch_wal()`
      }
      await sql`checkpoint`
      // Its slot's name, as a resync may have renamed it (replication/names.ts's slotNames).
      const [{ slot }] = await query<{ slot: string }>(
        replica2,
        `select subslotname as slot from pg_subscription where subname = 'sub_${replica2.name}'`,
      )
      const [{ status }] = await sql`select wal_status as status from pg_replication_slots where slot_name = ${slot}`
      await sql.end()
      assert.is(status, 'lost')
      const r = await check()
      const v = find(r, new RegExp(`sub_replica2's slot ${slot} lost WAL it needed`))
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.not.ok(
        r.verdicts.some(x => x.node === replica2.name && /ENABLE/.test(x.fix)),
        JSON.stringify(r.verdicts),
      )
      assert.ok(find(r, /max_slot_wal_keep_size is 16 MB, below max_wal_size/))
      // So small a keep size can invalidate a replica that is streaming but briefly behind, too:
      // every lost slot gets its own printed fix.
      for (const lost of r.verdicts.filter(x => /lost WAL it needed/.test(x.problem))) {
        const command = /make sync ARGS="(--replica \w+ --yes)"/.exec(lost.fix)![1].split(' ')
        const fix = await runScript('sync-replicas', command)
        assert.ok(fix.code <= 1, fix.stdout + fix.stderr)
      }
      await query(config.primary, `delete from public.orders where customer_email = 'wal@replkit.test'`)
      await provenEqual()
    } finally {
      await query(config.primary, 'alter system reset max_slot_wal_keep_size')
      await query(config.primary, 'select pg_reload_conf()')
    }
    const after = await check()
    assert.is(after.code, 0, JSON.stringify(after.verdicts))
  },
)

faults(
  'a large transaction being applied: "N to apply" or "has not applied a transaction the PRIMARY committed", never "caught up"; it lands whole, nothing to fix',
  async () => {
    const sql = db(config.primary)
    try {
      await sql`insert into public.orders (customer_email, total) select 'large@replkit.test', g % 100 from generate_series(1, 400000) g`
      const run = await runScript('check-replication', ['--json', '--max-lag', '0'])
      const r = JSON.parse(run.stdout) as Report & { lag: { replica: string; bytes: number; caughtUp: boolean }[] }
      const behind = r.lag.filter(l => !l.caughtUp)
      assert.ok(behind.length > 0, `every replica caught up already: ${JSON.stringify(r.lag)}`)
      for (const l of behind) {
        // Either it is still receiving (bytes behind: a warning), or it is applying the committed
        // transaction (past the 1 s grace): then what is left counts against --max-lag 0, critical.
        const still = find(r, new RegExp(`^${l.replica} has .* of the PRIMARY's WAL still to apply`))
        const applying = find(r, new RegExp(`^${l.replica} has not applied a transaction the PRIMARY committed`))
        assert.ok(still || applying, JSON.stringify(r.verdicts))
        if (still) assert.is(still.level, 'warning')
        if (applying) assert.is(applying.level, 'critical')
      }
      // Nothing else is wrong: no other critical verdict, no fix to run but waiting.
      assert.not.ok(
        r.verdicts.some(
          v => v.level === 'critical' && !/has not applied a transaction the PRIMARY committed/.test(v.problem),
        ),
        JSON.stringify(r.verdicts),
      )
      await provenEqual()
    } finally {
      await sql`delete from public.orders where customer_email = 'large@replkit.test'`
      await sql.end()
      await provenEqual()
    }
  },
)

faults(
  'a 5 s wal_sender_timeout: a warning naming the resend loop; the printed ALTER SYSTEM puts it back',
  async () => {
    await query(config.primary, `alter system set wal_sender_timeout = '5s'`)
    await query(config.primary, 'select pg_reload_conf()')
    try {
      const r = await check()
      const v = find(r, /^wal_sender_timeout is 5s on primary/)
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.is(r.code, 1)
      for (const statement of /(ALTER SYSTEM SET wal_sender_timeout = '60s'); (SELECT pg_reload_conf\(\));/
        .exec(v!.fix)!
        .slice(1))
        await query(config.primary, statement)
      assert.is((await check()).code, 0)
    } finally {
      await query(config.primary, 'alter system reset wal_sender_timeout')
      await query(config.primary, 'select pg_reload_conf()')
    }
  },
)

faults(
  'a disabled subscription: critical with the ENABLE to run on that replica; running it brings back the writes made meanwhile',
  async () => {
    await query(replica1, `alter subscription sub_${replica1.name} disable`)
    try {
      await query(
        config.primary,
        `insert into public.orders (customer_email, total) values ('disabled@replkit.test', 4)`,
      )
      const r = await check()
      const v = find(r, new RegExp(`^sub_${replica1.name} is disabled`))
      assert.ok(v, JSON.stringify(r.verdicts, null, 1))
      assert.is(r.code, 2)
      const [, statement, node] = /^(ALTER SUBSCRIPTION \w+ ENABLE) on (\w+)$/.exec(v!.fix)!
      await query(config.replicas.find(x => x.name === node)!, statement)
      await provenEqual()
      assert.is((await check()).code, 0)
    } finally {
      await query(replica1, `alter subscription sub_${replica1.name} enable`)
      await query(config.primary, `delete from public.orders where customer_email = 'disabled@replkit.test'`)
      await provenEqual()
    }
  },
)

faults('a wrong admin password is a login failure to fix in the URL, not a PRIMARY to start', async () => {
  const { user, host, port, database } = config.primary
  const r = await check({ PRIMARY_URL: `postgres://${user}:wrong@${host}:${port}/${database}` })
  assert.is(r.code, 2)
  const v = find(r, /cannot log in to primary/)
  assert.ok(v, JSON.stringify(r.verdicts, null, 1))
  assert.match(v!.problem, /password authentication failed for user "postgres"/)
  assert.match(v!.fix, /correct the user or password in PRIMARY_URL/)
  assert.not.match(v!.fix, /start the PRIMARY/)
})

faults.run()
