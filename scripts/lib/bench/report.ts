// make bench's results: the JSON document (bench/results/latest.json) and the
// human summary (the plots: report-plots.ts) — aligned tables, every target "met" or "NOT met".
import { type ReplicasBench, formatReplicasBench } from './replicas.js'
import { colour, formatBytes, formatTable } from '../output.js'
import type { LatencyRun, LoadedLatencyRun } from './canary-latency.js'
import type { CheckWall } from './check-wall.js'
import { type InitialCopy, formatInitialCopy, initialCopyTitle } from './initial-copy.js'
import type { LargeTransaction } from './large-transaction.js'
import type { MetricsCost } from './metrics-cost.js'
import { type SwitchoverBench, formatSwitchoverBench } from './switchover.js'
import { type Machine, describeMachine } from './machine.js'
import { type ConsistencyBenchReport, formatConsistencyBench } from './consistency-report.js'
import { type SeedBenchReport, formatSeedPhases, seedSettingTitle } from './seed-report.js'
import { type Target, missedSection, targetRow } from './targets.js'

export interface BenchReport {
  at: string
  profile: 'default' | 'quick'
  seconds: number
  machine: Machine
  seed: SeedBenchReport
  /** The seed at a smaller size (300,000 products); absent from reports made before it was measured. */
  smallSeed?: SeedBenchReport
  initialCopy: InitialCopy
  metrics: MetricsCost
  switchovers: SwitchoverBench
  canary: { idle: LatencyRun; load: LoadedLatencyRun }
  consistency: ConsistencyBenchReport
  largeTransaction: LargeTransaction
  check: CheckWall
  /** Absent from reports made before the section existed. */
  replicas?: ReplicasBench
  targets: Target[]
  plots: { latencyCdf: string; throughput: string; replicas?: string }
}

const n = (v: number) => Math.round(v).toLocaleString('en-US')
const ms = (v: number) => v.toFixed(2)
export function formatSummary(r: BenchReport): string {
  const out: string[] = []
  const section = (title: string, ...body: string[]) => out.push('', colour.bold(title), ...body)
  out.push(colour.bold(`replkit bench (${r.profile} profile), ${r.at}, ${r.seconds.toFixed(0)} s`))
  out.push(`Machine: ${describeMachine(r.machine)}`)
  for (const seed of [r.smallSeed ?? [], r.seed].flat())
    section(
      `Seed: ${n(seed.rows)} generated products (row-at-a-time on ${n(seed.sample)})`,
      ...seed.settings.flatMap((setting, i) => [
        ...(i ? [''] : []),
        seedSettingTitle(setting),
        formatSeedPhases(setting),
      ]),
    )
  section(initialCopyTitle(r.initialCopy), formatInitialCopy(r.initialCopy))
  section('Canary propagation latency, ms (replica arrival stamp − PRIMARY insert stamp)', canaryTable(r))
  const c = r.consistency
  section(
    `Compare and repair: ${n(c.rows)} products on ${c.nodes} nodes, replicated (median of ${c.runs})`,
    formatConsistencyBench(c),
  )
  const lt = r.largeTransaction
  section(
    `Large transactions: ${n(lt.rows)} order rows in one INSERT (${(lt.walBytes / 1024 / 1024).toFixed(0)} MB of WAL)`,
    largeTransactionTable(r),
  )
  section(`make check on the healthy cluster (${r.check.runs} runs, each a new process)`, checkTable(r))
  section(`make metrics: ${r.metrics.scrapes} scrapes of the healthy cluster`, metricsTable(r))
  const so = r.switchovers
  section(
    `make switchover to ${so.target} and back, ${so.writePauseMs.length} in a row, under pgbench through PgBouncer asking ${so.rate} writes/s (${n(so.achievedTps)} achieved)`,
    formatSwitchoverBench(so),
  )
  if (r.replicas)
    section(
      `Cost by number of replicas (${r.replicas.runs.map(x => x.replicas).join(', ')}), each on a cluster of its own`,
      formatReplicasBench(r.replicas),
    )
  section('Targets', ...targetLines(r))
  return out.join('\n')
}

function canaryTable(r: BenchReport): string {
  const rows = (label: string, run: LatencyRun) =>
    Object.entries(run.summary).map(([replica, d]) => [replica, label, d.n, ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max)])
  const load = r.canary.load.load
  return formatTable(
    ['replica', 'condition', 'canaries', 'p50', 'p95', 'p99', 'max'],
    [
      ...rows(`idle, every ${r.canary.idle.spacingMs} ms`, r.canary.idle),
      ...rows(`pgbench ${load.rate} tx/s requested, ${n(load.tps)} achieved`, r.canary.load),
    ],
  )
}

function largeTransactionTable(r: BenchReport): string {
  const lt = r.largeTransaction
  return formatTable(
    ['measurement', 'seconds'],
    [
      ['the INSERT on the PRIMARY', Number(lt.insertSeconds.toFixed(2))],
      [`its commit → applied on all ${r.initialCopy.replicas} replicas`, Number(lt.appliedSeconds.toFixed(2))],
      ...(lt.products
        ? [
            [
              `${n(lt.products.rows)} products in one INSERT (${(lt.products.walBytes / 1024 / 1024).toFixed(0)} MB of WAL)`,
              Number(lt.products.insertSeconds.toFixed(2)),
            ],
            [
              `  its commit → applied on all ${r.initialCopy.replicas} replicas`,
              Number(lt.products.appliedSeconds.toFixed(2)),
            ],
          ]
        : []),
      ...(lt.pair
        ? [
            [
              `on a PostgreSQL ${lt.pair.major} pair of its own (streaming = ${lt.pair.streaming}): the INSERT`,
              Number(lt.pair.insertSeconds.toFixed(2)),
            ],
            ['  its commit → applied on both replicas', Number(lt.pair.appliedSeconds.toFixed(2))],
          ]
        : []),
    ],
  )
}

function checkTable(r: BenchReport): string {
  return formatTable(
    ['measurement', 'ms (median)'],
    [
      ['make check ARGS=--json (make, its set-up check, the command)', Math.round(r.check.medianMakeMs)],
      ['replkit check --json (node bin/replkit.js)', Math.round(r.check.medianWallMs)],
      ['  of which its own work (connect, query, verdicts)', Math.round(r.check.medianInProcessMs)],
      ["floor: psql -c 'select 1' on each node in turn", Math.round(r.check.medianFloorMs)],
    ],
  )
}

function metricsTable(r: BenchReport): string {
  const mc = r.metrics
  return formatTable(
    ['measurement', 'value'],
    [
      ['time reading the nodes per scrape, median', `${mc.scrapeMedianMs.toFixed(1)} ms`],
      ['time reading the nodes per scrape, p95', `${mc.scrapeP95Ms.toFixed(1)} ms`],
      ['GET /metrics round trip, median', `${mc.httpMedianMs.toFixed(1)} ms`],
      ['exporter process, peak resident memory', formatBytes(mc.peakRssBytes)],
    ],
  )
}

function targetLines(r: BenchReport): string[] {
  const table = formatTable(
    ['section', 'target', 'measured', 'needed', 'result'],
    r.targets.map(t => [t.section, ...targetRow(t)]),
  )
  const missed = r.targets.filter(t => !t.met).length
  return [
    table,
    ...missedSection(r.targets),
    '',
    missed
      ? colour.red(`${missed} of ${r.targets.length} targets NOT met`)
      : colour.green(`all ${r.targets.length} targets met`),
  ]
}
