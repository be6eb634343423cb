// The exporter's metrics from hand-made facts: values, series that disappear with what they
// describe, and that every metric the shipped alert rules and Grafana dashboard name is served.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parse } from 'yaml'
import { buildReport } from '../../scripts/lib/checks/report.js'
import { repoRoot } from '../../scripts/lib/config.js'
import { compareResult } from '../../scripts/lib/metrics/compare-result.js'
import { createMetrics } from '../../scripts/lib/metrics/registry.js'
import { healthy, stopped, sums, thresholds } from '../checks/facts-fixture.js'

const report = (facts = healthy()) => buildReport(facts, thresholds, null, null, 12)

async function scrape(facts = healthy()): Promise<string> {
  const metrics = createMetrics()
  const r = report(facts)
  metrics.update(r, compareResult(r), 12)
  return metrics.registry.metrics()
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find(l => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

test('a healthy cluster: every node up, nothing lagging, every table equal, status OK', async () => {
  const text = await scrape()
  assert.is(value(text, 'replkit_up{node="replica2",role="replica"}'), 1)
  assert.is(value(text, 'replkit_server_version_num{node="primary"}'), 150018)
  assert.is(value(text, 'replkit_replication_lag_bytes{replica="replica1",subscription="sub_replica1"}'), 0)
  assert.is(value(text, 'replkit_slot_retained_wal_bytes{node="primary",replica="replica1",slot="sub_replica1"}'), 56)
  assert.is(
    value(text, 'replkit_slot_wal_status{node="primary",replica="replica1",slot="sub_replica1",status="reserved"}'),
    1,
  )
  assert.is(value(text, 'replkit_table_consistent{replica="replica2",table="products"}'), 1)
  assert.is(value(text, 'replkit_check_status'), 0)
  // Every node and level has its series, at 0: the alerts on make check's verdicts can resolve.
  for (const node of ['primary', 'replica1', 'replica2'])
    for (const level of ['critical', 'unknown', 'warning'])
      assert.is(value(text, `replkit_verdicts{level="${level}",node="${node}"}`), 0)
  assert.match(text, /# TYPE replkit_subscription_apply_errors_total counter/)
  // Raw positions, for WAL-rate and apply-throughput panels; the exporter's own process metrics.
  assert.is(value(text, 'replkit_wal_lsn_bytes{node="primary"}'), 0x3000000)
  assert.match(text, /^process_cpu_user_seconds_total /m)
  assert.match(text, /^nodejs_eventloop_lag_seconds /m)
  assert.not.match(text, /^nodejs_active_\w+_total/m, 'a gauge named *_total')
})

test("a stopped replica: up 0 and no subscription series for it; counters mirror PostgreSQL's counts", async () => {
  const facts = healthy()
  stopped(facts, 1)
  facts.replicas[0].subscriptions[0].applyErrorCount = 7
  const text = await scrape(facts)
  assert.is(value(text, 'replkit_up{node="replica2",role="replica"}'), 0)
  assert.not.match(text, /replkit_subscription_enabled\{replica="replica2"/)
  assert.is(value(text, 'replkit_subscription_apply_errors_total{replica="replica1",subscription="sub_replica1"}'), 7)
  assert.is(value(text, 'replkit_check_status'), 2)
  assert.is(value(text, 'replkit_verdicts{level="critical",node="replica2"}'), 1)
  assert.is(value(text, 'replkit_verdicts{level="critical",node="replica1"}'), 0)
})

test('a scrape past its deadline claims nothing: every node reads as not up', async () => {
  const metrics = createMetrics()
  metrics.update(report(), null, 5)
  metrics.failed([{ name: 'primary', role: 'primary' }], 8000)
  const text = await metrics.registry.metrics()
  assert.is(value(text, 'replkit_up{node="primary",role="primary"}'), 0)
  assert.is(value(text, 'replkit_scrape_success'), 0)
  assert.not.match(text, /replkit_replication_lag_bytes\{/)
})

/** Metric names an expression reads: replkit_… identifiers, histogram suffixes folded away. */
const namesIn = (expr: string) =>
  [...expr.matchAll(/\breplkit_[a-z_]+/g)].map(m => m[0].replace(/_(bucket|sum|count)$/, ''))

test('every metric named by alerts.yml and the Grafana dashboard is one the exporter serves', async () => {
  const served = new Set(
    createMetrics()
      .registry.getMetricsAsArray()
      .map(m => m.name),
  )
  const rules = parse(readFileSync(join(repoRoot, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[]
  }
  const exprs = rules.groups.flatMap(g => g.rules.map(r => r.expr))
  const dashboard = JSON.parse(readFileSync(join(repoRoot, 'config/grafana/replkit.json'), 'utf8')) as {
    panels: { targets: { expr: string }[] }[]
  }
  exprs.push(...dashboard.panels.flatMap(p => p.targets.map(t => t.expr)))
  assert.ok(exprs.length > 20)
  for (const expr of exprs)
    for (const name of namesIn(expr)) assert.ok(served.has(name), `${name} (in ${expr}) is not served`)
  for (const rule of rules.groups.flatMap(g => g.rules))
    assert.ok(rule.annotations.summary && rule.annotations.fix, `${rule.alert} has a summary and a fix`)
})

test('a replica no walsender streams to reads NaN seconds behind, and its tables no known state, never a healthy 0 or 1', async () => {
  const facts = healthy()
  const compared = compareResult(report(facts))
  facts.replicas[1] = { ...facts.replicas[1], up: false, error: 'connection refused', errorKind: 'unreachable' }
  facts.primary.walSenders = facts.primary.walSenders.filter(w => w.applicationName !== 'sub_replica2')
  const metrics = createMetrics()
  metrics.update(report(facts), compared, 12)
  // prom-client writes NaN as "Nan"; Prometheus parses floats case-insensitively.
  const text = await metrics.registry.metrics()
  assert.match(text, /replkit_replication_lag_seconds\{replica="replica2",subscription="sub_replica2"\} NaN$/im)
  assert.match(text, /replkit_replication_lag_seconds\{replica="replica1",subscription="sub_replica1"\} 0/)
  assert.match(text, /replkit_table_consistent\{replica="replica2",table="products"\} NaN$/im)
  assert.match(text, /replkit_table_consistent\{replica="replica1",table="products"\} 1/)
  assert.match(text, /replkit_up\{node="replica2",role="replica"\} 0/)
})

test("a table the last compare found different is make check's critical verdict in replkit_verdicts, though a scrape reads no checksum", async () => {
  const differing = healthy()
  differing.replicas[1].tables = sums([5, 30, 30], i => (i === 1 ? 'other' : `c${i}`))
  const compared = compareResult(report(differing))
  const critical = async (facts: ReturnType<typeof healthy>) => {
    const metrics = createMetrics()
    metrics.update(report(facts), compared, 12)
    return value(await metrics.registry.metrics(), 'replkit_verdicts{level="critical",node="replica2"}')
  }
  assert.is(await critical(healthy()), 1)
  // Down now: what it held at the compare is not known any more; NODE_DOWN is its one problem.
  const down = healthy()
  down.replicas[1] = { ...down.replicas[1], up: false, error: 'connection refused', errorKind: 'unreachable' }
  assert.is(await critical(down), 1)
  assert.is(await critical(differing), 1)
})

test('a table the last compare could not prove (its replica behind) is a warning in replkit_verdicts only while the scrape still sees the replica behind', async () => {
  const behind = healthy()
  behind.replicas[0].tables = sums([5, 31, 30])
  behind.primary.walSenders = behind.primary.walSenders.map(w =>
    w.applicationName === 'sub_replica1' ? { ...w, lagBytes: 4096 } : w,
  )
  const compared = compareResult(report(behind))
  assert.equal(
    compared.verdicts.map(v => `${v.code} ${v.node}`),
    ['TABLE_NOT_PROVEN replica1'],
  )
  const warnings = async (facts: ReturnType<typeof healthy>) => {
    const metrics = createMetrics()
    metrics.update(report(facts), compared, 12)
    return value(await metrics.registry.metrics(), 'replkit_verdicts{level="warning",node="replica1"}')
  }
  const stillBehind = healthy()
  stillBehind.primary.walSenders = behind.primary.walSenders
  assert.is(await warnings(stillBehind), 1)
  assert.is(await warnings(healthy()), 0)
})

test.run()
