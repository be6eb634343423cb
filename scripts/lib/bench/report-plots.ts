// make bench's two plots: canary latency as CDFs per replica, and throughput against each
// baseline (seed vs raw COPY, compare vs one hash scan, initial copy vs pg_dump and pgcopydb).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type BarPanel, type CdfSeries, barChart, cdfPlot } from './plots.js'
import { replicasPlot } from './replicas.js'
import type { BenchReport } from './report.js'
import type { SeedSetting } from './seed-report.js'

type Figures = Omit<BenchReport, 'plots' | 'targets' | 'seconds'>

const n = (v: number) => Math.round(v).toLocaleString('en-US')
const PALETTE = ['#2b6cb0', '#c53030', '#2f855a', '#b7791f']

/** Writes the two SVGs into dir; returns their file names. */
export async function writePlots(dir: string, r: Figures, idleTarget: number, loadTarget: number) {
  const latencyCdf = 'latency-cdf.svg'
  await writeFile(
    join(dir, latencyCdf),
    cdfPlot('Canary propagation latency per replica (CDF)', latencySeries(r), [
      { at: idleTarget, label: `p99 target idle ${idleTarget} ms` },
      { at: loadTarget, label: `under load ${loadTarget} ms` },
    ]),
  )
  const throughput = 'throughput.svg'
  await writeFile(
    join(dir, throughput),
    barChart(`Throughput, ${r.machine.cpus} CPUs (${r.profile} profile)`, [
      seedPanel(r),
      comparePanel(r),
      copyPanel(r),
    ]),
  )
  if (!r.replicas) return { latencyCdf, throughput }
  const replicas = 'replicas.svg'
  await writeFile(join(dir, replicas), replicasPlot(r.replicas))
  return { latencyCdf, throughput, replicas }
}

/** Each replica idle (solid) and under load (dashed), in one colour. */
function latencySeries(r: Figures): CdfSeries[] {
  return Object.keys(r.canary.idle.samples).flatMap((replica, i) => [
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
}

function seedPanel(r: Figures): BarPanel {
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
  return {
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
  }
}

function comparePanel(r: Figures): BarPanel {
  const c = r.consistency
  const rowsChecked = c.rows * c.nodes
  const bar = (label: string, ms: number, baseline = false) => ({
    label,
    value: rowsChecked / (ms / 1000),
    text: `${n(rowsChecked / (ms / 1000))} rows/s (${(ms / 1000).toFixed(2)} s)`,
    ...(baseline ? { baseline } : {}),
  })
  return {
    title: `Compare of ${n(c.rows)} products on ${c.nodes} nodes (rows compared/s)`,
    bars: [
      bar('full compare at an LSN, quiet', c.compareMs),
      bar(`the same under ${c.writeRate} writes/s`, c.underWritesMs),
      bar('floor: one hash scan per node, in parallel', c.hashScanMs, true),
    ],
  }
}

function copyPanel(r: Figures): BarPanel {
  const ic = r.initialCopy
  const baseline = (label: string, seconds: number) => ({
    label,
    value: ic.totalRows / seconds,
    text: `${n(ic.totalRows / seconds)} rows/s (${seconds.toFixed(1)} s)`,
    baseline: true,
  })
  return {
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
            baseline('pg_dump -Fd + pg_restore -j2, 1 db', ic.dumpRestoreSeconds),
            baseline('pgcopydb clone, 1 db', ic.pgcopydbSeconds),
          ]),
    ],
  }
}
