// make check and make metrics as a monitoring role, not a superuser. make replicate with
// MONITOR_USER refuses, changing nothing, while the role is missing on a node, then grants it what
// check reads (a re-run grants nothing); check as that role gives the superuser's verdicts, healthy
// and with a fault; metrics --once as it reads every node, with the applied positions; a role with
// pg_monitor alone is told, per node, what it could not see (views, sequences) and the GRANT that shows it.
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { type NodeSpec, allNodes } from '../../scripts/lib/config.js'
import { config, query, runScript } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const monitor = suite('a monitoring role instead of a superuser')
const [replica1] = config.replicas
const ROLE = 'replkit_test_monitor'
const BARE = 'replkit_test_bare'
const PASSWORD = 'monitor-test-secret'

const dropRole = (node: NodeSpec, role: string) =>
  query(
    node,
    `do $$ begin if exists (select from pg_roles where rolname = '${role}') then execute 'drop owned by ${role}'; execute 'drop role ${role}'; end if; end $$`,
  )

/** The cluster's URLs with another login (its password from PGPASSWORD, as libpq reads it). */
function envAs(role: string): Record<string, string> {
  const url = (n: NodeSpec) =>
    `postgres://${role}@${n.host}:${n.port}/${n.database}?sslmode=${n.sslmode}${n.sslrootcert ? `&sslrootcert=${n.sslrootcert}` : ''}`
  return {
    PRIMARY_URL: url(config.primary),
    REPLICA_URLS: config.replicas.map(url).join(','),
    PGPASSWORD: PASSWORD,
  }
}

interface Report {
  status: string
  verdicts: { code: string; level: string; node: string }[]
  notes: string[]
}

async function check(env: Record<string, string> = {}): Promise<Report> {
  const run = await runScript('check-replication', ['--json'], env)
  try {
    return JSON.parse(run.stdout) as Report
  } catch {
    throw new Error(`check printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`)
  }
}

const judged = (r: Report) => ({
  status: r.status,
  verdicts: r.verdicts.map(v => `${v.level} ${v.code} ${v.node}`).sort(),
  notes: [...r.notes].sort(),
})

monitor.before(async () => {
  await ensureReplication()
  for (const node of allNodes(config)) for (const role of [ROLE, BARE]) await dropRole(node, role)
})

monitor.after(async () => {
  for (const node of allNodes(config)) for (const role of [ROLE, BARE]) await dropRole(node, role)
})

monitor(
  'make replicate with MONITOR_USER: refused with nothing changed while the role is missing; then granted; a re-run grants nothing',
  async () => {
    const missing = await runScript('replicate', [], { MONITOR_USER: ROLE })
    assert.is(missing.code, 2, missing.stdout + missing.stderr)
    for (const node of allNodes(config))
      assert.match(missing.stdout, new RegExp(`✗ ${node.name}: MONITOR_USER ${ROLE} does not exist`))
    assert.match(missing.stderr, /preflight failed: 3 problem\(s\) above; nothing was changed/)
    for (const node of allNodes(config)) await query(node, `create role ${ROLE} login password '${PASSWORD}'`)
    const granted = await runScript('replicate', [], { MONITOR_USER: ROLE })
    assert.is(granted.code, 0, granted.stdout + granted.stderr)
    assert.match(
      granted.stdout,
      new RegExp(`✓ role ${ROLE} \\(MONITOR_USER\\) on every node: pg_monitor, .*it writes nothing\\n`),
    )
    const again = await runScript('replicate', [], { MONITOR_USER: ROLE })
    assert.match(again.stdout, new RegExp(`✓ role ${ROLE} \\(MONITOR_USER\\) on every node: .* \\(unchanged\\)`))
    const [{ superuser }] = await query<{ superuser: boolean }>(
      config.primary,
      `select rolsuper as superuser from pg_roles where rolname = '${ROLE}'`,
    )
    assert.is(superuser, false)
  },
)

monitor(
  "check as the monitoring role gives the superuser's verdicts, healthy and with a disabled subscription; metrics --once reads every node",
  async () => {
    const healthy = await check(envAs(ROLE))
    assert.equal(judged(healthy), judged(await check()))
    assert.is(healthy.status, 'OK')
    await query(replica1, `alter subscription sub_${replica1.name} disable`)
    try {
      const broken = await check(envAs(ROLE))
      assert.is(broken.status, 'CRITICAL')
      assert.equal(judged(broken), judged(await check()))
      assert.ok(broken.verdicts.some(v => v.code === 'SUBSCRIPTION_DISABLED' && v.node === replica1.name))
    } finally {
      await query(replica1, `alter subscription sub_${replica1.name} enable`)
    }
    await waitForCatchup()
    const scrape = await runScript('metrics', ['--once'], envAs(ROLE))
    assert.is(scrape.code, 0, scrape.stderr)
    for (const node of allNodes(config))
      assert.match(scrape.stdout, new RegExp(`replkit_up\\{node="${node.name}",role="${node.role}"\\} 1`))
    for (const replica of config.replicas)
      assert.match(scrape.stdout, new RegExp(`replkit_subscription_applied_lsn_bytes\\{replica="${replica.name}",`))
    assert.match(scrape.stdout, /replkit_check_status 0/)
  },
)

monitor(
  'a role with pg_monitor alone: check still judges, and names per node each view it could not read with its GRANT',
  async () => {
    for (const node of allNodes(config))
      await query(
        node,
        `create role ${BARE} login password '${PASSWORD}' in role pg_monitor; grant select on all tables in schema public to ${BARE}; grant usage on schema replkit to ${BARE}`,
      )
    const bare = await check(envAs(BARE))
    assert.is(bare.status, 'OK', JSON.stringify(bare))
    const unread = bare.notes.filter(n => / may not read /.test(n)).map(n => n.replace(/, so .*/, ''))
    assert.equal(
      unread.sort(),
      [
        `primary: role ${BARE} may not read pg_file_settings`,
        `primary: role ${BARE} may not read pg_hba_file_rules`,
        ...allNodes(config).map(n => `${n.name}: role ${BARE} may not read sequence public.orders_order_number_seq`),
        ...config.replicas.flatMap(r => [
          `${r.name}: role ${BARE} may not read pg_file_settings`,
          `${r.name}: role ${BARE} may not read pg_replication_origin_status`,
        ]),
      ].sort(),
    )
    assert.ok(
      bare.notes.some(n =>
        n.endsWith(
          `GRANT SELECT ON pg_replication_origin_status TO ${BARE}; GRANT EXECUTE ON FUNCTION pg_show_replication_origin_status() TO ${BARE};`,
        ),
      ),
    )
  },
)

monitor.run()
