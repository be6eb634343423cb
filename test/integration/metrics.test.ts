// make metrics under a real Prometheus (prometheus.ts): each fault driven fires exactly the
// alerts for what make check reports, for that node alone; the fix resolves them. Also promtool's
// check of a scrape and the Grafana dashboard's panels.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { config, db, query, runScript, until } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'
import {
  type Alert,
  EXPORTER_PORT,
  PROMETHEUS_URL,
  api,
  firing,
  nothingFires,
  oneJudgement,
  startPrometheus,
  stopPrometheus,
} from './prometheus.js'

const metrics = suite('metrics: exporter, Prometheus, alerts')
const [replica1, replica2] = config.replicas

metrics.before(async () => {
  await ensureReplication()
  await startPrometheus()
})

metrics.after(stopPrometheus)

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
        const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(query)}`)
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

metrics.run()
