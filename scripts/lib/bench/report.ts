// make bench's results: the JSON document (bench/results/latest.json), the plots, and the
// human summary — aligned tables, every target "met" or "NOT met".
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { colour, formatBytes, formatTable } from '../output.js'
import type { LatencyRun, LoadedLatencyRun } from './canary-latency.js'
import type { CheckWall } from './check-wall.js'
import { type InitialCopy, formatInitialCopy, initialCopyTitle } from './initial-copy.js'
import type { LargeTransaction } from './large-transaction.js'
import type { MetricsCost } from './metrics-cost.js'
import type { SwitchoverBench } from './switchover.js'
import { type Machine, describeMachine } from './machine.js'
import { type CdfSeries, barChart, cdfPlot } from './plots.js'
import { type ConsistencyBenchReport, formatConsistencyBench } from './consistency-report.js'
import { type SeedBenchReport, type SeedSetting, formatSeedPhases, seedSettingTitle } from './seed.js'
import { type Target, showMeasured, showNeeded } from './targets.js'

export interface BenchReport {
  at: string
  profile: 'default' | 'quick'
  seconds: number
  machine: Machine
  seed: SeedBenchReport
  initialCopy: InitialCopy
  metrics: MetricsCost
  switchovers: SwitchoverBench
  canary: { idle: LatencyRun; load: LoadedLatencyRun }
  consistency: ConsistencyBenchReport
  largeTransaction: LargeTransaction
  check: CheckWall
  targets: Target[]
  plots: { latencyCdf: string; throughput: string }
}

const n = (v: number) => Math.round(v).toLocaleString('en-US')
const ms = (v: number) => v.toFixed(2)
const PALETTE = ['#2b6cb0', '#c53030', '#2f855a', '#b7791f']

/** Writes the two SVGs into dir; returns their file names. */
export async function writePlots(
  dir: string,
  r: Omit<BenchReport, 'plots' | 'targets' | 'seconds'>,
  idleTarget: number,
  loadTarget: number,
) {
  const series: CdfSeries[] = Object.keys(r.canary.idle.samples).flatMap((replica, i) => [
    {
      label: `${replica}, idle (${r.canary.idle.canaries} canaries)`,
      values: r.canary.idle.samples[replica],
      colour: PALETTE[i % PALETTE.length],
    },
    {
      label: `${replica}, under ${r.canary.load.load.rate} tx/s (${r.canary.load.canaries} canaries)`,
      values: r.canary.load.samples[replica],
      colour: PALETTE[i % PALETTE.length],
      dashed: true,
    },
  ])
  const latencyCdf = 'latency-cdf.svg'
  await writeFile(
    join(dir, latencyCdf),
    cdfPlot('Canary propagation latency per replica (CDF)', series, [
      { at: idleTarget, label: `p99 target idle ${idleTarget} ms` },
      { at: loadTarget, label: `under load ${loadTarget} ms` },
    ]),
  )

  const [quiet, live] = r.seed.settings
  const loop = quiet.phases[2]
  const seedBars = ({ name, phases: [ours, copy] }: SeedSetting) => [
    {
      label: `our seed, ${name}`,
      value: ours.rowsPerSecond,
      text: `${n(ours.rowsPerSecond)} rows/s (${(ours.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}× its COPY)`,
    },
    { label: `raw COPY, ${name}`, value: copy.rowsPerSecond, text: `${n(copy.rowsPerSecond)} rows/s`, baseline: true },
  ]
  const c = r.consistency
  const rowsChecked = c.rows * c.nodes
  const ic = r.initialCopy
  const throughput = 'throughput.svg'
  await writeFile(
    join(dir, throughput),
    barChart(`Throughput, ${r.machine.cpus} CPUs (${r.profile} profile)`, [
      {
        title: `Seed of ${n(r.seed.rows)} products (rows/s; row-at-a-time on ${n(r.seed.sample)})`,
        bars: [
          ...seedBars(quiet),
          ...(live ? seedBars(live) : []),
          {
            label: `row-at-a-time upsert, ${quiet.name}`,
            value: loop.rowsPerSecond,
            text: `${n(loop.rowsPerSecond)} rows/s`,
            baseline: true,
          },
        ],
      },
      {
        title: `Compare of ${n(c.rows)} products on ${c.nodes} nodes (rows compared/s)`,
        bars: [
          {
            label: 'full compare at an LSN, quiet',
            value: rowsChecked / (c.compareMs / 1000),
            text: `${n(rowsChecked / (c.compareMs / 1000))} rows/s (${(c.compareMs / 1000).toFixed(2)} s)`,
          },
          {
            label: `the same under ${c.writeRate} writes/s`,
            value: rowsChecked / (c.underWritesMs / 1000),
            text: `${n(rowsChecked / (c.underWritesMs / 1000))} rows/s (${(c.underWritesMs / 1000).toFixed(2)} s)`,
          },
          {
            label: 'floor: one hash scan per node, in parallel',
            value: rowsChecked / (c.hashScanMs / 1000),
            text: `${n(rowsChecked / (c.hashScanMs / 1000))} rows/s (${(c.hashScanMs / 1000).toFixed(2)} s)`,
            baseline: true,
          },
        ],
      },
      {
        title: `Initial copy of ${n(ic.totalRows)} rows: products, orders, items, payments (rows landed/s)`,
        bars: [
          {
            label: `make replicate, ${ic.replicas} replicas`,
            value: (ic.totalRows * ic.replicas) / ic.replicateSeconds,
            text: `${n((ic.totalRows * ic.replicas) / ic.replicateSeconds)} rows/s (${ic.replicateSeconds.toFixed(1)} s)`,
          },
          ...(ic.dumpRestoreSeconds === null || ic.pgcopydbSeconds === null
            ? []
            : [
                {
                  label: 'pg_dump -Fd + pg_restore -j2, 1 db',
                  value: ic.totalRows / ic.dumpRestoreSeconds,
                  text: `${n(ic.totalRows / ic.dumpRestoreSeconds)} rows/s (${ic.dumpRestoreSeconds.toFixed(1)} s)`,
                  baseline: true,
                },
                {
                  label: 'pgcopydb clone, 1 db',
                  value: ic.totalRows / ic.pgcopydbSeconds,
                  text: `${n(ic.totalRows / ic.pgcopydbSeconds)} rows/s (${ic.pgcopydbSeconds.toFixed(1)} s)`,
                  baseline: true,
                },
              ]),
        ],
      },
    ]),
  )
  return { latencyCdf, throughput }
}

const config_replicas = (r: BenchReport) => r.initialCopy.replicas

export function formatSummary(r: BenchReport): string {
  const out: string[] = []
  const section = (title: string) => out.push('', colour.bold(title))
  out.push(colour.bold(`replkit bench (${r.profile} profile), ${r.at}, ${r.seconds.toFixed(0)} s`))
  out.push(`Machine: ${describeMachine(r.machine)}`)

  section(`Seed: ${n(r.seed.rows)} generated products (row-at-a-time on ${n(r.seed.sample)})`)
  r.seed.settings.forEach((setting, i) => {
    out.push(...(i ? [''] : []), seedSettingTitle(setting), formatSeedPhases(setting))
  })

  section(initialCopyTitle(r.initialCopy))
  out.push(formatInitialCopy(r.initialCopy))

  section('Canary propagation latency, ms (replica arrival stamp − PRIMARY insert stamp)')
  const rows = (label: string, run: LatencyRun) =>
    Object.entries(run.summary).map(([replica, d]) => [replica, label, d.n, ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max)])
  const load = r.canary.load.load
  out.push(
    formatTable(
      ['replica', 'condition', 'canaries', 'p50', 'p95', 'p99', 'max'],
      [
        ...rows(`idle, every ${r.canary.idle.spacingMs} ms`, r.canary.idle),
        ...rows(`pgbench ${load.rate} tx/s requested, ${n(load.tps)} achieved`, r.canary.load),
      ],
    ),
  )

  const c = r.consistency
  section(`Compare and repair: ${n(c.rows)} products on ${c.nodes} nodes, replicated (median of ${c.runs})`)
  out.push(formatConsistencyBench(c))

  const lt = r.largeTransaction
  section(
    `One large transaction: ${n(lt.rows)} order rows in one INSERT (${(lt.walBytes / 1024 / 1024).toFixed(0)} MB of WAL)`,
  )
  out.push(
    formatTable(
      ['measurement', 'seconds'],
      [
        ['the INSERT on the PRIMARY', Number(lt.insertSeconds.toFixed(2))],
        [`its commit → applied on all ${config_replicas(r)} replicas`, Number(lt.appliedSeconds.toFixed(2))],
      ],
    ),
  )

  section(`make check on the healthy cluster (${r.check.runs} runs, each a new process)`)
  out.push(
    formatTable(
      ['measurement', 'ms (median)'],
      [
        ['make check ARGS=--json (make, its set-up check, the command)', Math.round(r.check.medianMakeMs)],
        ['replkit check --json (node bin/replkit.js)', Math.round(r.check.medianWallMs)],
        ['  of which its own work (connect, query, verdicts)', Math.round(r.check.medianInProcessMs)],
        ["floor: psql -c 'select 1' on each node in turn", Math.round(r.check.medianFloorMs)],
      ],
    ),
  )

  const mc = r.metrics
  section(`make metrics: ${mc.scrapes} scrapes of the healthy cluster`)
  out.push(
    formatTable(
      ['measurement', 'value'],
      [
        ['time reading the nodes per scrape, median', `${mc.scrapeMedianMs.toFixed(1)} ms`],
        ['time reading the nodes per scrape, p95', `${mc.scrapeP95Ms.toFixed(1)} ms`],
        ['GET /metrics round trip, median', `${mc.httpMedianMs.toFixed(1)} ms`],
        ['exporter process, peak resident memory', formatBytes(mc.peakRssBytes)],
      ],
    ),
  )

  const so = r.switchovers
  section(
    `make switchover to ${so.target} and back, under a writer asking ${so.rate} writes/s (${n(so.achievedTps)} achieved)`,
  )
  out.push(
    formatTable(
      ['measurement', 'there', 'back'],
      [
        [
          'write pause: the fence to the new PRIMARY taking writes',
          `${so.writePauseMs[0].toFixed(0)} ms`,
          `${so.writePauseMs[1].toFixed(0)} ms`,
        ],
        [
          so.proofBeforeFence
            ? 'proof before the fence (every table at an LSN, under the writer)'
            : '  of which the checksum proof (every table, every node)',
          `${so.proofMs[0].toFixed(0)} ms`,
          `${so.proofMs[1].toFixed(0)} ms`,
        ],
        ['command start to done', `${(so.totalMs[0] / 1000).toFixed(2)} s`, `${(so.totalMs[1] / 1000).toFixed(2)} s`],
      ],
    ),
  )
  out.push(
    `the writer's longest time between two commits: ${so.longestGapMs.toFixed(0)} ms; ${so.refused} writes refused by the fence, none lost`,
  )

  section('Targets')
  out.push(
    formatTable(
      ['section', 'target', 'measured', 'needed', 'result'],
      r.targets.map(t => [
        t.section,
        t.target,
        showMeasured(t),
        showNeeded(t),
        t.met ? colour.green('met') : colour.red('NOT met'),
      ]),
    ),
  )
  const missed = r.targets.filter(t => !t.met).length
  out.push(
    '',
    missed
      ? colour.red(`${missed} of ${r.targets.length} targets NOT met`)
      : colour.green(`all ${r.targets.length} targets met`),
  )
  return out.join('\n')
}
