// make switchover on the test cluster: to replica1 and back under a writer that records every
// committed key (nothing lost, nothing twice, writes on the new PRIMARY reach the old one); a
// fault injected at each step that can fail rolls back (exit 2, the old PRIMARY takes writes,
// every node equal); a crash part-way is finished or undone by the next run; a target that is
// down is refused before anything changes.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { type Config, type NodeSpec, loadConfig, loadEnv, repoRoot } from '../../scripts/lib/config.js'
import { downPgbouncer } from '../../scripts/lib/cluster/pgbouncer.js'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import { connect } from '../../scripts/lib/db.js'
import { subscriptionName } from '../../scripts/lib/replication/names.js'
import { fromCatalogues } from '../../scripts/lib/replication/roles.js'
import { waitForCatchup as catchUp } from '../../scripts/lib/replication/waits.js'
import { Steps } from '../../scripts/lib/steps.js'
import { startWriter, writerRowsOn } from '../../scripts/lib/chaos/writer.js'
import { cleanUp, insertCanary } from '../../scripts/lib/checks/verification.js'
import { switchover } from '../../scripts/lib/switchover/switchover.js'
import { join } from 'node:path'
import { $ } from 'zx'
import { config, query, runScript } from './helpers.js'
import { runTs } from './spawn.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'
import { serverAccess } from '../../scripts/lib/cluster/access.js'

/** make switchover to target with a fault injected as step completes (STEP:crash kills the process there). */
const withFault = (target: string, step: string, ...flags: string[]) =>
  runTs(join(import.meta.dirname, 'switchover-with-fault.ts'), [target, step, ...flags])

const sw = suite('switchover')
const [replica1] = config.replicas
const nodes = [config.primary, ...config.replicas]
const options = (to: string) => ({
  to,
  dryRun: false,
  maxLagBytes: 16 * 1024 * 1024,
  allowOlder: true,
  timeoutMs: 30_000,
  servers: serverAccess(config),
})

async function sums(node: NodeSpec): Promise<string> {
  const sql = connect(node)
  try {
    return JSON.stringify(await fingerprints(sql, config.tables))
  } finally {
    await sql.end()
  }
}

/** The roles as the catalogues have them, with every node caught up and equal to the PRIMARY. */
async function settled(): Promise<Config> {
  const now = await fromCatalogues(config)
  const primary = connect(now.primary)
  await catchUp(primary, now.replicas.map(subscriptionName), 20_000).finally(() => primary.end())
  const all = await Promise.all(nodes.map(sums))
  assert.ok(
    all.every(s => s === all[0]),
    'every node holds the same rows',
  )
  return now
}

/** The replication slots on a node (a replica should hold none). */
async function slotsOn(node: NodeSpec): Promise<string[]> {
  const sql = connect(node)
  try {
    return (await sql`select slot_name from pg_replication_slots order by 1`).map(r => r.slot_name)
  } finally {
    await sql.end()
  }
}

async function insertAccepted(node: NodeSpec): Promise<boolean> {
  return query(node, `insert into public.orders (customer_email, total) values ('switchover@replkit.test', 1)`).then(
    () => true,
    () => false,
  )
}

sw.before(async () => {
  await ensureReplication()
})

sw.after(async () => {
  // The files after this one expect the configured roles, whatever a failed test here left.
  if ((await fromCatalogues(config)).primary.name !== config.primary.name)
    await switchover(config, options(config.primary.name), new Steps(true))
  await query(
    config.primary,
    `delete from public.orders where customer_email in ('switchover@replkit.test', 'replkit-chaos@replkit.test')`,
  )
  await waitForCatchup()
})

sw(
  'to replica1 and back under 300 writes/s: every committed key on every node once, nothing lost, writes on the new PRIMARY reach the old one',
  async () => {
    let primary: NodeSpec = config.primary
    const writer = startWriter(() => primary, 300)
    // The writer moves at the promote, before the other nodes subscribe to the new PRIMARY (after
    // the pause): what it writes then must reach them through the slots reserved inside the pause.
    const followAt = (to: NodeSpec) => ({
      ...options(to.name),
      afterStep: (step: string) => {
        if (step === 'promoted') primary = { ...to, role: 'primary' as const }
      },
    })
    await new Promise(r => setTimeout(r, 1500))
    const there = await switchover(config, followAt(replica1), new Steps(true))
    assert.is(there.config.primary.name, replica1.name)
    assert.ok(there.writePauseMs !== null && there.writePauseMs > 0)
    await new Promise(r => setTimeout(r, 1500))
    const back = await switchover(config, followAt(config.primary), new Steps(true))
    assert.is(back.config.primary.name, config.primary.name)
    await new Promise(r => setTimeout(r, 1000))
    const result = await writer.stop()
    console.log(
      `    writer: ${result.transactions} transactions, ${result.refused} refused by the fence, longest gap between commits ${result.longestGapMs.toFixed(0)} ms; ` +
        `write pause ${there.writePauseMs!.toFixed(0)} ms there, ${back.writePauseMs!.toFixed(0)} ms back`,
    )
    assert.ok(result.refused > 0, 'the fence refused writes')
    assert.ok(result.live.length > 100)
    await settled()
    for (const node of nodes) {
      const sql = connect(node)
      const rows = await writerRowsOn(sql, result).finally(() => sql.end())
      assert.equal(rows, { missing: 0, resurrected: 0 }, `${node.name}: every committed key there, no deleted one back`)
    }
    // Keys committed on replica1 while it was the PRIMARY are on the old PRIMARY too (covered above),
    // and none twice: the primary key would refuse a second copy, and the checksums are equal.
    await demotedNodeApplies()
  },
)

/**
 * The node demoted last (replica1) applies a change that fires a trigger there (the canary's
 * ENABLE ALWAYS stamp runs SQL), with no apply error on any replica: its apply worker did not
 * start read-only, as it did when it started before the subscriptions' owner was exempted.
 */
async function demotedNodeApplies(): Promise<void> {
  const primary = connect(config.primary)
  try {
    const { sku } = await insertCanary(primary, 'after-switchover')
    await settled()
    for (const replica of config.replicas) {
      const [row] = await query<{ arrived: number; errors: number }>(
        replica,
        `select (select count(*)::int from replkit.canary_arrivals where sku = '${sku}') as arrived,
                (select coalesce(sum(apply_error_count), 0)::int from pg_stat_subscription_stats) as errors`,
      )
      assert.equal(row, { arrived: 1, errors: 0 }, `${replica.name}: the canary applied, no apply error`)
    }
  } finally {
    await cleanUp(primary, [])
    await primary.end()
  }
}

/** A client role of its own (not replkit's login, the subscriptions' owner, which replicas let write). */
const CLIENT = { user: 'replkit_test_client', password: 'client-secret' }

async function ensureClientRole(): Promise<void> {
  for (const node of nodes)
    await query(
      node,
      `do $$ begin
         if not exists (select from pg_roles where rolname = '${CLIENT.user}') then
           create role ${CLIENT.user} login password '${CLIENT.password}';
         end if;
       end $$;
       grant select, insert on public.orders to ${CLIENT.user};
       grant usage on all sequences in schema public to ${CLIENT.user}`,
    )
}

/** psql (libpq) as the client role: the URL's hosts in order, target_session_attrs=read-write. */
async function asClient(hosts: NodeSpec[], statement: string): Promise<{ code: number; out: string }> {
  const list = hosts.map(h => `${h.host}:${h.port}`).join(',')
  const url = `postgres://${CLIENT.user}@${list}/${config.primary.database}?target_session_attrs=read-write&connect_timeout=5`
  const run = await $({
    nothrow: true,
    quiet: true,
    env: { ...process.env, PGPASSWORD: CLIENT.password, PGSSLMODE: 'prefer', PGOPTIONS: '' },
  })`psql -X -qAt ${url} -c ${statement}`
  return { code: run.exitCode ?? -1, out: (run.stdout + run.stderr).trim() }
}

sw('clients: a replica refuses their writes; a libpq multi-host URL lands on the PRIMARY, there and back', async () => {
  await ensureClientRole()
  const port = `select inet_server_port()`
  const onReplica = await asClient(
    [replica1],
    `insert into public.orders (customer_email, total) values ('switchover@replkit.test', 1)`,
  )
  assert.is.not(onReplica.code, 0)
  assert.match(onReplica.out, /read-only/)
  const everyNode = [replica1, config.replicas[1], config.primary]
  assert.is((await asClient(everyNode, port)).out, String(config.primary.port))
  await switchover(config, options(replica1.name), new Steps(true))
  try {
    assert.is((await asClient(everyNode, port)).out, String(replica1.port), 'lands on the new PRIMARY')
    const onOld = await asClient(
      [config.primary],
      `insert into public.orders (customer_email, total) values ('switchover@replkit.test', 1)`,
    )
    assert.is.not(onOld.code, 0, 'the old PRIMARY refuses client writes as a replica')
  } finally {
    await switchover(config, options(config.primary.name), new Steps(true))
  }
  assert.is((await asClient(everyNode, port)).out, String(config.primary.port), 'back on the PRIMARY')
  const check = await runScript('check-replication', ['--json'])
  assert.is(check.code, 0, check.stdout.slice(0, 2000))
})

sw(
  'a client that fails over the moment its session ends (libpq multi-host, read-write) never writes to a node that is not yet the PRIMARY',
  async () => {
    await ensureClientRole()
    const EARLY = 'switchover-early@replkit.test'
    const everyNode = [config.primary, replica1, config.replicas[1]]
    const committed: string[] = []
    let refused = 0
    let running = true
    // One psql per insert: each is a new libpq session that picks the node that takes writes now.
    const client = (async () => {
      for (let i = 0; running; i++) {
        const run = await asClient(
          everyNode,
          `insert into public.orders (customer_email, total) values ('${EARLY}', ${i}) returning total::int`,
        )
        if (run.code === 0) committed.push(run.out.split('\n')[0])
        else refused++
      }
    })()
    try {
      await new Promise(r => setTimeout(r, 1500))
      await switchover(config, options(replica1.name), new Steps(true))
      await new Promise(r => setTimeout(r, 1500))
      await switchover(config, options(config.primary.name), new Steps(true))
      await new Promise(r => setTimeout(r, 1000))
    } finally {
      running = false
      await client
    }
    assert.ok(committed.length > 10, `committed ${committed.length}, refused ${refused}`)
    await settled()
    for (const node of nodes) {
      const rows = await query<{ total: string }>(
        node,
        `select total::int::text as total from public.orders where customer_email = '${EARLY}' order by 1`,
      )
      assert.equal(
        rows.map(r => r.total).sort(),
        [...committed].sort(),
        `${node.name}: exactly the client's committed writes, none written only on a node that was not the PRIMARY`,
      )
    }
    await query(config.primary, `delete from public.orders where customer_email = '${EARLY}'`)
  },
)

sw(
  'PgBouncer in front of the PRIMARY: pgbench through it across a switchover there and back — 0 failed transactions, every committed row on every node',
  async () => {
    const bouncerEnv = { PGBOUNCER_PORT: '55471' }
    const up = await runScript('cluster', ['up'], bouncerEnv)
    assert.is(up.code, 0, up.stdout + up.stderr)
    const withBouncer = loadConfig({ ...loadEnv(), ...bouncerEnv })
    const LOAD = 'replkit-load@replkit.test'
    const loadRows = async (node: NodeSpec) =>
      (
        await query<{ n: number }>(
          node,
          `select count(*)::int as n from public.orders where customer_email = '${LOAD}'`,
        )
      )[0].n
    const before = await Promise.all(nodes.map(loadRows))
    try {
      const pgbench = $({
        nothrow: true,
        quiet: true,
        env: { ...process.env, PGPASSWORD: config.primary.password, PGOPTIONS: '', PGSSLMODE: 'prefer' },
      })`pgbench -h 127.0.0.1 -p ${bouncerEnv.PGBOUNCER_PORT} -U ${config.primary.user} -n -f ${join(repoRoot, 'sql/load/orders.pgbench')} -R 100 -t 800 -c 4 -j 2 ${config.primary.database}`
      await new Promise(r => setTimeout(r, 2000))
      const there = await switchover(withBouncer, options(replica1.name), new Steps(true))
      assert.ok(
        there.steps.lines.some(l => /PgBouncer: shop points at replica1, clients resumed/.test(l)),
        there.steps.lines.join('\n'),
      )
      await new Promise(r => setTimeout(r, 2000))
      await switchover(withBouncer, options(config.primary.name), new Steps(true))
      const bench = await pgbench
      assert.is(bench.exitCode, 0, bench.stdout + bench.stderr)
      assert.match(bench.stdout, /number of failed transactions: 0 /)
      // A fixed count (-t), not a duration: with -T, transactions queued in PgBouncer's PAUSE when the
      // time runs out still commit, uncounted.
      const processed = Number(/number of transactions actually processed: (\d+)/.exec(bench.stdout)?.[1])
      assert.is(processed, 3200, bench.stdout)
      await settled()
      for (const [i, node] of nodes.entries())
        assert.is(
          (await loadRows(node)) - before[i],
          processed,
          `${node.name}: every transaction pgbench committed, once`,
        )
    } finally {
      await downPgbouncer(withBouncer.pgbouncer!)
      // The files' other tests expect the configured roles, whatever a failure here left.
      if ((await fromCatalogues(config)).primary.name !== config.primary.name)
        await switchover(config, options(config.primary.name), new Steps(true))
      await query(config.primary, `delete from public.orders where customer_email = '${LOAD}'`)
    }
  },
)

sw(
  'a fault at each step before the new PRIMARY takes writes: rolled back, exit 2, the old PRIMARY takes writes, every node equal',
  async () => {
    for (const step of ['fenced', 'caught-up', 'still-equal', 'target-unsubscribed', 'slots-reserved']) {
      const run = await withFault(replica1.name, step)
      assert.is(run.code, 2, `${step}: ${run.stdout}\n${run.stderr}`)
      assert.match(
        run.stderr,
        new RegExp(
          `switchover to ${replica1.name} failed and was rolled back: ${config.primary.name} is the PRIMARY again and takes writes \\(injected fault at ${step}`,
        ),
      )
      const now = await settled()
      assert.is(now.primary.name, config.primary.name, `${step}: roles unchanged`)
      assert.ok(await insertAccepted(config.primary), `${step}: the PRIMARY takes writes again`)
      const check = await runScript('check-replication', ['--json'])
      assert.is(check.code, 0, `${step}: ${check.stdout.slice(0, 2000)}`)
      assert.equal(await slotsOn(replica1), [], `${step}: no slot reserved on ${replica1.name} is left behind`)
    }
    // The pause's budget: a step that makes it overrun rolls back, naming that step.
    const slow = await withFault(replica1.name, 'still-equal:slow', '--max-pause', '1')
    assert.is(slow.code, 2, slow.stdout + slow.stderr)
    assert.match(
      slow.stderr,
      /failed and was rolled back: .*the write pause ran past --max-pause \(1 s\) by the end of step "still-equal"/,
    )
    assert.is((await settled()).primary.name, config.primary.name)
    assert.ok(await insertAccepted(config.primary), 'the PRIMARY takes writes again after the budget rolled it back')
  },
)

sw(
  'a crash part-way: the next run undoes the half-moved switch and completes it; a crash after the move is finished',
  async () => {
    const crashed = await withFault(replica1.name, 'target-unsubscribed:crash')
    assert.is(crashed.code, 137)
    assert.not.ok(await insertAccepted(config.primary), 'left fenced by the crash')
    const again = await runScript('switchover', ['--to', replica1.name, '--yes'])
    assert.is(again.code, 0, again.stdout + again.stderr)
    assert.match(again.stdout, /undid the switchover to replica1 that stopped part-way/)
    assert.is((await settled()).primary.name, replica1.name)

    // A crash right after the promote, before any other node moved: the new PRIMARY already took
    // writes, so the next run finishes the switch on the slots reserved inside the pause, and the
    // writes reach every node. --allow-older: with PG_VERSIONS mixing majors, the way back may be older.
    const late = await withFault(config.primary.name, 'promoted:crash', '--allow-older')
    assert.is(late.code, 137)
    assert.ok(await insertAccepted(config.primary), 'the new PRIMARY takes writes before the switch is finished')
    const finish = await runScript('switchover', ['--to', config.primary.name, '--yes', '--allow-older'])
    assert.is(finish.code, 0, finish.stdout + finish.stderr)
    assert.match(finish.stdout, /finished the switchover to primary that stopped part-way/)
    assert.match(finish.stdout, /replica2: subscribes to primary on the slot reserved before it took writes/)
    assert.match(finish.stdout, /primary is the PRIMARY already/)
    assert.is((await settled()).primary.name, config.primary.name, 'the write before the finish is on every node')
    assert.ok(await insertAccepted(config.primary))
    assert.equal(await slotsOn(replica1), [], 'the old PRIMARY keeps no slot')
  },
)

sw('a target that is down: refused before anything changes; --dry-run changes nothing', async () => {
  const before = await sums(config.primary)
  const dry = await runScript('switchover', ['--to', replica1.name, '--dry-run'])
  assert.is(dry.code, 0, dry.stdout + dry.stderr)
  assert.match(dry.stdout, /sql\/switchover\/010_fence\.sql/)
  assert.ok(await insertAccepted(config.primary), 'a dry run fences nothing')
  await runScript('cluster', ['stop', replica1.name])
  try {
    const run = await runScript('switchover', ['--to', replica1.name, '--yes'])
    assert.is(run.code, 2)
    assert.match(run.stdout + run.stderr, /switchover refused: .*nothing was changed/)
    assert.match(run.stdout, /replica1 is down/)
    assert.ok(await insertAccepted(config.primary), 'nothing was fenced')
  } finally {
    await runScript('cluster', ['start', replica1.name])
  }
  const unknown = await runScript('switchover', ['--to', 'nosuchnode', '--yes'])
  assert.is(unknown.code, 1)
  assert.match(unknown.stderr, /no node named "nosuchnode"/)
  const noYes = await runScript('switchover', ['--to', replica1.name])
  assert.match(noYes.stderr, /re-run with --yes/)
  await waitForCatchup()
  assert.is.not(await sums(config.primary), before, 'the inserts above landed')
})

sw.run()
