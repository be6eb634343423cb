// make metrics under a real Prometheus (Debian's): it scrapes the exporter every second and
// evaluates the shipped alert rules (their `for` shortened to 1 s, range windows to 5 s). Each fault
// driven fires exactly the alerts for what make check reports, for that node alone, read back through
// Prometheus's HTTP API; the fix resolves them.
// Also the Nagios line, and promtool's check of a scrape.
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { parse, stringify } from 'yaml'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { config, db, query, runScript, until } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const metrics = suite('metrics: exporter, Prometheus, alerts, Nagios')
const EXPORTER_PORT = 55461
const PROMETHEUS_PORT = 55462
const [replica1, replica2] = config.replicas
const children: ChildProcess[] = []
let dir = ''

function start(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', chunk => {
    stderr = (stderr + chunk).slice(-4000)
  })
  child.on('exit', code => {
    if (code) console.error(`${command} exited ${code}: ${stderr}`)
  })
  children.push(child)
  return child
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}${path}`)
  return ((await res.json()) as { data: T }).data
}

interface Alert {
  labels: Record<string, string>
  state: string
  annotations: Record<string, string>
}
const firing = async (name: string, labels: Record<string, string>) =>
  (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(
    a =>
      a.state === 'firing' &&
      a.labels.alertname === name &&
      Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  )

/** check --json as docs/schema/check.schema.json describes it. */
const validateCheck = new Ajv2020().compile(
  JSON.parse(await readFile(join(repoRoot, 'docs/schema/check.schema.json'), 'utf8')),
)

interface CheckJson {
  status: string
  verdicts: { code: string; level: string; node: string }[]
}

async function checkJson(): Promise<CheckJson> {
  const run = await runScript('check-replication', ['--json'])
  const report = JSON.parse(run.stdout) as CheckJson
  assert.ok(validateCheck(report), JSON.stringify(validateCheck.errors))
  return report
}

const ALERT_OF_LEVEL: Record<string, string> = {
  critical: 'ReplkitCheckCritical',
  warning: 'ReplkitCheckWarning',
  unknown: 'ReplkitCheckUnknown',
}

/**
 * One judgement: make check reports `code` on `node` at WARNING or above (its --json matching the
 * schema), and exactly the alerts for it fire, for that node alone: the fault's own alerts and
 * ReplkitCheck* for each level check reports there.
 */
async function oneJudgement(node: string, code: string, alerts: string[]): Promise<void> {
  let report: CheckJson | undefined
  await until(`make check to report ${code} on ${node}`, 30_000, async () => {
    report = await checkJson()
    return report.verdicts.some(v => v.code === code && v.node === node && v.level in ALERT_OF_LEVEL)
  })
  const problems = report!.verdicts.filter(v => v.level in ALERT_OF_LEVEL)
  assert.equal([...new Set(problems.map(v => v.node))], [node], JSON.stringify(report!.verdicts))
  const expected = [...new Set([...alerts, ...problems.map(v => ALERT_OF_LEVEL[v.level])])].sort()
  const onNode = (a: Alert) => (a.labels.node ?? a.labels.replica) === node
  const firingNow = async () =>
    (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(a => a.state === 'firing')
  // Exactly these, once settled: an alert of a moment ago (another replica still applying) resolves meanwhile.
  await until(`exactly ${expected.join(', ')} to fire, for ${node} alone`, 40_000, async () => {
    const all = await firingNow()
    const names = [...new Set(all.map(a => a.labels.alertname))].sort()
    return all.every(onNode) && names.join() === expected.join()
  }).catch(async error => {
    const now = (await firingNow()).map(a => a.labels)
    throw new Error(`${(error as Error).message}; firing: ${JSON.stringify(now)}; check: ${JSON.stringify(problems)}`)
  })
}

const nothingFires = () =>
  until(
    'every alert to resolve',
    40_000,
    async () =>
      (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(a => a.state === 'firing').length === 0,
  )

metrics.before(async () => {
  await ensureReplication()
  dir = await mkdtemp(join(tmpdir(), 'replkit-prometheus-'))
  await chmod(dir, 0o755)
  // The shipped rules, with only their `for` and range windows shortened so a test need not wait minutes.
  const rules = parse(await readFile(join(repoRoot, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { for?: string; expr: string }[] }[]
  }
  for (const rule of rules.groups.flatMap(g => g.rules)) {
    if (rule.for) rule.for = '1s'
    rule.expr = rule.expr.replace(/\[\d+m\]/g, '[5s]')
  }
  await writeFile(join(dir, 'alerts.yml'), stringify(rules))
  await writeFile(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['alerts.yml'],
      scrape_configs: [
        { job_name: 'replkit', scrape_timeout: '1s', static_configs: [{ targets: [`127.0.0.1:${EXPORTER_PORT}`] }] },
      ],
    }),
  )
  start(join(repoRoot, 'node_modules/.bin/tsx'), [
    'scripts/metrics.ts',
    '--port',
    String(EXPORTER_PORT),
    '--scrape-deadline',
    '0.9',
    '--compare-interval',
    '2',
  ])
  start('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    '--log.level=warn',
  ])
  await until('Prometheus to scrape the exporter', 30_000, async () => {
    const targets = await api<{ activeTargets: { health: string }[] }>('/api/v1/targets').catch(() => null)
    return targets?.activeTargets[0]?.health === 'up'
  })
})

metrics.after(async () => {
  for (const child of children) child.kill('SIGTERM')
  await Promise.all(
    children.map(c => new Promise(resolve => (c.exitCode === null ? c.once('exit', resolve) : resolve(null)))),
  )
  await rm(dir, { recursive: true, force: true })
})

metrics('a scrape passes promtool check metrics; /healthz answers; the healthy cluster fires nothing', async () => {
  const text = await (await fetch(`http://127.0.0.1:${EXPORTER_PORT}/metrics`)).text()
  assert.match(text, /replkit_up\{node="primary",role="primary"\} 1/)
  const lint = await $({ input: text, nothrow: true, quiet: true })`promtool check metrics`
  assert.is(lint.exitCode, 0, lint.stdout + lint.stderr)
  assert.is(await (await fetch(`http://127.0.0.1:${EXPORTER_PORT}/healthz`)).text(), 'ok\n')
  const {
    result: [{ value }],
  } = await api<{ result: { value: [number, string] }[] }>(
    `/api/v1/query?query=${encodeURIComponent('max(replkit_scrape_duration_seconds)')}`,
  )
  assert.ok(Number(value[1]) < 1, `a scrape took ${value[1]} s`)
  await until(
    'the checksum compare to be served',
    10_000,
    async () =>
      (await api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent('replkit_table_consistent == 1')}`))
        .result.length ===
      config.tables.length * config.replicas.length,
  )
  // No alert at all on a healthy cluster: sequences behind are a note in make check, not a fault.
  const alerts = (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts
  assert.equal(
    alerts.map(a => a.labels.alertname),
    [],
  )
})

/** Panels that show only while something is wrong (or with --canary): their queries must be valid, not answered. */
const FAULT_ONLY = ['Canary latency p99', 'Conflicts by type (PostgreSQL 18)', 'Sequences behind the PRIMARY']

metrics('every panel of the Grafana dashboard is answered by a real Prometheus scraping the exporter', async () => {
  const dashboard = JSON.parse(await readFile(join(repoRoot, 'config/grafana/replkit.json'), 'utf8')) as {
    templating: { list: { name: string }[] }
    panels: { title: string; targets: { expr: string }[] }[]
  }
  assert.equal(
    dashboard.templating.list.map(v => v.name),
    ['datasource', 'job', 'instance'],
  )
  // rate() and increase() need two samples in their window: a few scrapes after the exporter starts.
  const unanswered = async () => {
    const out: string[] = []
    for (const panel of dashboard.panels) {
      let series = 0
      for (const { expr } of panel.targets) {
        const query = expr.replaceAll('$job', 'replkit').replaceAll('$instance', '.*')
        const res = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(query)}`)
        const body = (await res.json()) as { status: string; data?: { result: unknown[] }; error?: string }
        assert.is(body.status, 'success', `${panel.title}: ${query}: ${body.error}`)
        series += body.data!.result.length
      }
      if (series === 0 && !FAULT_ONLY.includes(panel.title)) out.push(panel.title)
    }
    return out
  }
  await until('every panel answered', 30_000, async () => (await unanswered()).length === 0).catch(() => undefined)
  assert.equal(await unanswered(), [])
})

metrics('a disabled subscription fires ReplkitSubscriptionDisabled with its fix; ENABLE resolves it', async () => {
  const subscription = `sub_${replica1.name}`
  await query(replica1, `alter subscription ${subscription} disable`)
  try {
    await until(
      'ReplkitSubscriptionDisabled to fire',
      20_000,
      async () => (await firing('ReplkitSubscriptionDisabled', { replica: replica1.name })).length === 1,
    )
    const [alert] = await firing('ReplkitSubscriptionDisabled', { replica: replica1.name })
    assert.is(
      alert.annotations.fix,
      `make check (says why it stopped), then ALTER SUBSCRIPTION ${subscription} ENABLE on ${replica1.name}`,
    )
    await oneJudgement(replica1.name, 'SUBSCRIPTION_DISABLED', ['ReplkitSubscriptionDisabled'])
  } finally {
    await query(replica1, `alter subscription ${subscription} enable`)
  }
  await nothingFires()
  await waitForCatchup()
})

metrics('a stopped replica fires ReplkitNodeDown for it alone; starting it resolves it', async () => {
  await runScript('cluster', ['stop', replica2.name])
  try {
    await until(
      'ReplkitNodeDown to fire',
      20_000,
      async () => (await firing('ReplkitNodeDown', { node: replica2.name })).length === 1,
    )
    await oneJudgement(replica2.name, 'NODE_DOWN', ['ReplkitNodeDown'])
  } finally {
    await runScript('cluster', ['start', replica2.name])
  }
  await nothingFires()
  await waitForCatchup()
})

/** A session on replica1 holding a SHARE lock on a table: its apply worker waits to write there until release(). */
async function lockOnReplica1(table: string) {
  const sql = db(replica1)
  const session = await sql.reserve()
  await session`begin`
  await session.unsafe(`lock table ${table} in share mode`)
  return {
    session,
    async release(commit = false) {
      await (commit ? session`commit` : session`rollback`)
      session.release()
      await sql.end()
    },
  }
}

metrics(
  "an apply error (a CHECK only the replica has): check names it; the worker's restart loop fires ReplkitSubscriptionWorkerDown; mended, nothing fires",
  async () => {
    const sku = 'REPLKIT-ALERT-APPLY-ERROR'
    await query(replica1, 'alter table products add constraint replkit_alert_price check (price < 1000) not valid')
    try {
      await query(
        config.primary,
        `insert into products (sku, title, price, category_id) select '${sku}', 'a title', 5000, id from categories order by id limit 1`,
      )
      await oneJudgement(replica1.name, 'APPLY_FAILURE', ['ReplkitSubscriptionWorkerDown'])
    } finally {
      await query(replica1, 'alter table products drop constraint if exists replkit_alert_price')
      await waitForCatchup()
      await query(config.primary, `delete from products where sku = '${sku}'`)
      await waitForCatchup()
      // The errors it counted are history; the tests after this one judge their own.
      await query(replica1, 'select pg_stat_reset_subscription_stats(oid) from pg_subscription')
    }
    await nothingFires()
  },
)

metrics(
  'a committed transaction held off a replica by a lock: ReplkitReplicationLagHigh fires as check names the lock; released, nothing fires',
  async () => {
    const lagRows = `orders where customer_email like 'lag-%@replkit.test'`
    const lock = await lockOnReplica1('orders')
    try {
      // About 21 MB of WAL, over the 16 MiB both check and the alert judge lag by.
      await query(
        config.primary,
        `insert into orders (customer_email, total) select 'lag-' || g || '@replkit.test', 1 from generate_series(1, 60000) g`,
      )
      // replica2 applies it meanwhile (a transaction this size takes it a moment): then only replica1 is behind.
      await until(
        'replica2 to apply the transaction',
        60_000,
        async () => (await query<{ n: number }>(replica2, `select count(*)::int as n from ${lagRows}`))[0].n === 60_000,
      )
      await oneJudgement(replica1.name, 'APPLY_WAITS_FOR_LOCK', ['ReplkitReplicationLagHigh'])
    } finally {
      await lock.release()
      await waitForCatchup(60_000)
      await query(config.primary, `delete from ${lagRows}`)
      await waitForCatchup(60_000)
    }
    await nothingFires()
  },
)

metrics(
  'a row changed on a replica: the checksum compare fires ReplkitTableDiffers and ReplkitCheckCritical, as make check says; restored, nothing fires',
  async () => {
    const [{ id, title }] = await query<{ id: string; title: string }>(
      config.primary,
      'select id, title from products order by id limit 1',
    )
    // As the apply worker writes (session_replication_role = replica): no trigger touches updated_at, so restoring the title restores the row.
    await query(
      replica1,
      `set session_replication_role = replica; update products set title = title || ' (changed on the replica)' where id = '${id}'`,
    )
    try {
      await oneJudgement(replica1.name, 'TABLE_DIFFERS', ['ReplkitTableDiffers'])
    } finally {
      await query(
        replica1,
        `set session_replication_role = replica; update products set title = '${title.replaceAll("'", "''")}' where id = '${id}'`,
      )
    }
    await nothingFires()
  },
)

metrics('--nagios: one plugin line with perfdata, the same exit code through npm run', async () => {
  // check_postgres's options: -w/-c thresholds (MB), -t the deadline (s).
  await waitForCatchup()
  const direct = await runScript('check-replication', ['--nagios', '-w', '1', '-c', '2', '-t', '30'])
  assert.is(direct.code, 0, direct.stdout)
  // Lag under the 1 MB warning is OK; on a busy machine a few kB are in flight and print as kB.
  assert.match(
    direct.stdout.trim(),
    /^REPLKIT OK - 2 of 2 replicas streaming, max lag \d+(?:\.\d)? k?B \| 'lag_bytes_replica1'=\d+B;1048576;2097152;0; /,
  )
  assert.is(direct.stdout.trim().split('\n').length, 1)
  await query(replica1, `alter subscription sub_${replica1.name} disable`)
  try {
    const npm = await $({ cwd: repoRoot, nothrow: true, quiet: true })`npm run -s check-replication -- --nagios`
    assert.is(npm.exitCode, 2)
    assert.match(npm.stdout, /^REPLKIT CRITICAL - replica1: sub_replica1 is disabled/)
  } finally {
    await query(replica1, `alter subscription sub_${replica1.name} enable`)
  }
  const unknown = await runScript('check-replication', ['--nagios'], { PRIMARY_URL: 'http://nowhere' })
  assert.is(unknown.code, 3)
  assert.is(unknown.stdout.trim(), 'REPLKIT UNKNOWN - config: PRIMARY_URL must start with postgres://, not http://')
  await waitForCatchup()
})

metrics.run()
