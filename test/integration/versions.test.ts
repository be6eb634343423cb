// Replication across PostgreSQL majors, each mix on a cluster of its own (its own ports and
// CLUSTER_DIR, beside the test cluster): an older PRIMARY to newer replicas (15 → 17, 18), the
// upgrade direction, and the reverse (18 → 16, 15). Every command is run as a user runs it, with
// PG_VERSIONS; PostgreSQL 18's conflict types are broken on purpose and repaired by the printed fix.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { connect } from '../../scripts/lib/db.js'
import { startWriter, writerRowsOn } from '../../scripts/lib/chaos/writer.js'
import { Steps } from '../../scripts/lib/steps.js'
import { switchover } from '../../scripts/lib/switchover/switchover.js'
import { runScript, until } from './helpers.js'
import { serverAccess } from '../../scripts/lib/cluster/access.js'
import { type Mix, allEqual, check, discard, mix, replicated, run, sql } from './mix.js'

const versions = suite('across PostgreSQL versions')

versions(
  "15 → 17 and 18 (the upgrade direction): options per pair, check, verify, 18's conflicts repaired by the printed fix",
  async () => {
    const m = await mix('15,17,18', 55441)
    try {
      const dry = await run(m, 'cluster', ['up'])
        .then(() => run(m, 'schema'))
        .then(() => run(m, 'seed'))
        .then(() => run(m, 'replicate', ['--dry-run']))
      assert.match(dry.stdout, /-- replica1: streaming = on: .*PRIMARY 15, replica 17/)
      assert.match(
        dry.stdout,
        /-- replica2: binary = false: text: a binary initial copy needs 16\+ on both ends \(PRIMARY 15, replica 18\)/,
      )
      await run(m, 'replicate', ['--restart-primary'])
      const status = await run(m, 'cluster', ['status'])
      assert.match(status.stdout, /primary\s+running\s+15\s/)
      assert.match(status.stdout, /replica2\s+running\s+18\s/)

      const healthy = await check(m)
      assert.is(healthy.code, 0, JSON.stringify(healthy.verdicts))
      assert.equal(
        [healthy.facts.primary, ...healthy.facts.replicas].map(n => Math.floor(n.server!.versionNum / 10000)),
        [15, 17, 18],
      )
      assert.equal(
        healthy.facts.replicas.map(r => r.subscriptions[0].conflicts === null),
        [true, false],
        '18 counts conflicts by type, 17 does not',
      )
      assert.ok(
        healthy.consistency.every(t => t.cells.every(c => c.state === 'reference' || c.state === 'match')),
        "checksums agree across 15, 17 and 18 (and Debian's ICU vs the builds' ICU 60)",
      )

      const verify = await runScript('verify', ['--json', '--load-seconds', '5'], m.env)
      const report = JSON.parse(verify.stdout) as {
        passed: number
        failed: number
        suites: { suite: string; node: string; failures: string[] }[]
      }
      assert.is(report.failed, 0, JSON.stringify(report.suites.filter(s => s.failures.length)))
      assert.ok(report.passed >= 60, `verify passed ${report.passed}`)

      // update_missing on 18: a row deleted on the replica, then updated on the PRIMARY. Apply
      // skips the update and goes on; only the conflict statistics and the log say so.
      const [row] = await sql(m, 'primary', `select sku from public.products order by sku limit 1`)
      await sql(
        m,
        1,
        `delete from public.inventory where product_id = (select id from public.products where sku = '${row.sku}')`,
      )
      await sql(m, 1, `delete from public.products where sku = '${row.sku}'`)
      await sql(m, 'primary', `update public.products set price = price + 1 where sku = '${row.sku}'`)
      await until(
        'replica2 to count the update_missing conflict',
        15_000,
        async () =>
          Number(
            (
              await sql(
                m,
                1,
                `select confl_update_missing from pg_stat_subscription_stats where subname = 'sub_replica2'`,
              )
            )[0]?.confl_update_missing ?? 0,
          ) > 0,
      )
      const broken = await check(m)
      assert.is(broken.code, 2)
      const verdict = broken.verdicts.find(
        v =>
          v.node === 'replica2' &&
          /skipped changes to rows replica2 does not have \(update_missing 1; PostgreSQL 18's conflict statistics, products named in its log\)/.test(
            v.problem,
          ),
      )
      assert.ok(verdict, JSON.stringify(broken.verdicts, null, 1))
      const fix = /make sync ARGS="([^"]+)"/.exec(verdict!.fix)![1].split(' ')
      assert.equal(fix, ['--replica', 'replica2', '--yes'])
      await sql(m, 'primary', `insert into public.orders (customer_email, total) values ('versions@replkit.test', 1)`)
      await run(m, 'sync-replicas', fix)
      await allEqual(m)
      let repaired: CheckReport & { code: number } = await check(m)
      await until(`make check OK after the resync (last: ${JSON.stringify(repaired.verdicts)})`, 20_000, async () => {
        repaired = await check(m)
        return repaired.code === 0
      })
      assert.ok(
        repaired.notes.some(n => /sub_replica2 counted update_missing 1 conflict in the past/.test(n)) ||
          repaired.facts.replicas[1].subscriptions[0].conflicts!.update_missing === 0,
      )

      // insert_exists on 18: the same key fix as on 15, named from 18's own log format.
      await sql(
        m,
        1,
        `insert into public.products (sku, title, price, category_id) select 'REPLKIT-TEST-V18', 'replica', 1, id from public.categories limit 1`,
      )
      await sql(
        m,
        'primary',
        `insert into public.products (sku, title, price, category_id) select 'REPLKIT-TEST-V18', 'primary', 2, id from public.categories limit 1`,
      )
      await until(
        'replica2 to stop on the key conflict',
        15_000,
        async () =>
          Number(
            (
              await sql(m, 1, `select apply_error_count from pg_stat_subscription_stats where subname = 'sub_replica2'`)
            )[0]?.apply_error_count ?? 0,
          ) > 0,
      )
      const conflict = await check(m)
      const named = conflict.verdicts.find(v =>
        v.problem.includes('stopped by a key conflict: Key (sku)=(REPLKIT-TEST-V18) already exists.'),
      )
      assert.ok(named, JSON.stringify(conflict.verdicts, null, 1))
      assert.match(named!.fix, /make fix-conflict ARGS="--replica replica2" .* --resync --yes repairs it without loss/)
      await run(m, 'fix-conflict', ['--replica', 'replica2', '--resync', '--yes'])
      await allEqual(m)
      const [kept] = await sql(m, 1, `select title from public.products where sku = 'REPLKIT-TEST-V18'`)
      assert.is(kept.title, 'primary', "the PRIMARY's row won; the replica's own is saved")
      // OK once the fresh copy's tables have moved from synchronized (s) to ready (r).
      let last: CheckReport & { code: number } = await check(m)
      await until(`make check OK after the repair (last: ${JSON.stringify(last.verdicts)})`, 20_000, async () => {
        last = await check(m)
        return last.code === 0
      })
    } finally {
      await discard(m)
    }
  },
)

versions('18 → 16 and 15 (a newer PRIMARY to older replicas): replicate, check, verify', async () => {
  const m = await mix('18,16,15', 55451)
  try {
    const out = await replicated(m)
    assert.match(
      out,
      /replica1: sub_replica1 created on slot sub_replica1 \(copy_data = false: the rows came from its snapshot, streaming = parallel, binary = true, origin = none,/,
    )
    assert.match(
      out,
      /replica2: sub_replica2 created on slot sub_replica2 \(copy_data = false: the rows came from its snapshot, streaming = on, binary = false,/,
    )
    const again = await run(m, 'replicate')
    assert.not.match(again.stdout, /created|set to/, 'a second run converges: nothing to change')
    const healthy = await check(m)
    assert.is(healthy.code, 0, JSON.stringify(healthy.verdicts))
    assert.equal(
      healthy.facts.replicas.map(r => r.subscriptions[0].options.streaming),
      ['parallel', 'on'],
    )
    const verify = await runScript(
      'verify',
      ['--json', '--suites', 'publication,subscription,seed,rows,queries,canary'],
      m.env,
    )
    const report = JSON.parse(verify.stdout) as { passed: number; failed: number }
    assert.is(report.failed, 0, verify.stdout)
    assert.ok(report.passed > 30)
    await sql(m, 'primary', `update public.products set price = price + 1`)
    await allEqual(m)
    await neverOkWhileParallelApplyWaits(m)
  } finally {
    await discard(m)
  }
})

/**
 * streaming = parallel (replica1, 16): a large transaction is applied by a parallel worker as it
 * streams, before the PRIMARY commits; a session holding orders on replica1 keeps it from
 * committing there. make check is never OK while replica1 lacks the rows, names the session once
 * the worker has waited long enough, and is OK again once the session ends and the rows are in.
 */
async function neverOkWhileParallelApplyWaits(m: Mix): Promise<void> {
  const email = 'replkit-versions-parallel@example.com'
  const rows = 300_000
  const count = async (replica: number) =>
    (await sql(m, replica, `select count(*)::int as n from orders where customer_email = '${email}'`))[0].n as number
  const holder = connect(m.config.replicas[0], { max: 1, idleTimeoutSeconds: 0 })
  const session = await holder.reserve()
  await session`begin`
  await session`lock table orders in share mode`
  try {
    await sql(
      m,
      'primary',
      `insert into orders (customer_email, total) select '${email}', 1 from generate_series(1, ${rows})`,
    )
    const deadline = Date.now() + 120_000
    for (let named = false; !named; ) {
      const report = await check(m)
      assert.is(await count(0), 0, 'replica1 applied rows through the lock')
      assert.is.not(report.code, 0, `OK while replica1 held 0 of ${rows} rows: ${JSON.stringify(report.verdicts)}`)
      named = report.verdicts.some(v => /waited .* for a lock held on replica1 by pid \d+ /.test(v.problem))
      assert.ok(Date.now() < deadline, `the lock was never named: ${JSON.stringify(report.verdicts)}`)
    }
  } finally {
    await holder.end({ timeout: 1 })
  }
  await until('the rows on both replicas', 180_000, async () => (await count(0)) === rows && (await count(1)) === rows)
  await until('make check OK again', 60_000, async () => (await check(m)).code === 0)
}

versions(
  'the major-version upgrade: PRIMARY 15 → a replica on 18 by make switchover under writes, and back, nothing lost',
  async () => {
    const m = await mix('15,18,18', 55481)
    try {
      await replicated(m)
      let primary = m.config.primary
      const writer = startWriter(() => primary, 200)
      await new Promise(r => setTimeout(r, 1000))
      const up = await switchover(
        m.config,
        {
          to: 'replica1',
          dryRun: false,
          maxLagBytes: 16 * 1024 * 1024,
          allowOlder: false,
          timeoutMs: 30_000,
          servers: serverAccess(m.config),
        },
        new Steps(true),
      )
      primary = up.config.primary
      await new Promise(r => setTimeout(r, 1000))
      const serverVersion = async () => (await sql(m, 0, `show server_version_num`))[0].server_version_num as string
      assert.match(await serverVersion(), /^18/, 'replica1, now the PRIMARY, runs 18')
      const report = await check(m)
      assert.is(report.code, 0, JSON.stringify(report.verdicts))
      assert.is(report.facts.primary.name, 'replica1', 'make check finds the PRIMARY from the catalogues')
      // Back to 15 is a downgrade: refused unless allowed.
      const refused = await runScript('switchover', ['--to', 'primary', '--yes'], m.env)
      assert.is(refused.code, 2)
      assert.match(refused.stdout, /older than the PRIMARY's 18: a switchover there is a downgrade \(--allow-older/)
      const down = await switchover(
        m.config,
        {
          to: 'primary',
          dryRun: false,
          maxLagBytes: 16 * 1024 * 1024,
          allowOlder: true,
          timeoutMs: 30_000,
          servers: serverAccess(m.config),
        },
        new Steps(true),
      )
      primary = down.config.primary
      await new Promise(r => setTimeout(r, 500))
      const result = await writer.stop()
      assert.ok(result.refused > 0 && result.live.length > 50)
      await allEqual(m)
      for (const spec of [m.config.primary, ...m.config.replicas]) {
        const db = connect(spec)
        const rows = await writerRowsOn(db, result).finally(() => db.end())
        assert.equal(rows, { missing: 0, resurrected: 0 }, spec.name)
      }
      console.log(
        `    15 → 18: write pause ${up.writePauseMs!.toFixed(0)} ms; 18 → 15: ${down.writePauseMs!.toFixed(0)} ms; writer ${result.transactions} transactions, longest gap ${result.longestGapMs.toFixed(0)} ms`,
      )
    } finally {
      await discard(m)
    }
  },
)

versions.run()
