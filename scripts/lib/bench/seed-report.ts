// The seed benchmark's report: its shape, its targets per setting, and its tables.
import { SEED_BATCH_BYTES } from '../seed/batches.js'
import { colour, formatBytes, formatTable } from '../output.js'
import { type ScriptTarget, targetRow } from './targets.js'

// The goal for the seed's client memory: under 150 MB, flat from 100,000 to 5,000,000 products.
const RSS_LIMIT_MB = 150

export interface SeedBenchReport {
  rows: number
  sample: number
  at: string
  machine: { cpus: number; node: string; postgres: string }
  /** Size of the generated products.json. */
  fileBytes: number
  generateSeconds: number
  /** Node's part of the seed alone: the file read, validated and turned into COPY text, nothing sent. */
  clientSeconds: number
  settings: SeedSetting[]
  targets: ScriptTarget[]
  method: string
}

/** The same phases in one state of the PRIMARY. */
export interface SeedSetting {
  name: string
  where: string
  phases: Phase[]
  seedPeakRssBytes: number
}

export interface Phase {
  name: string
  rows: number
  seconds: number
  rowsPerSecond: number
  /** Rows the phase created or changed in the database (all tables). */
  written: number
  note: string
}

/** What stands between the seed and raw COPY in this run: Node's part alone, the server's, the cores they share. */
function seedWhy(setting: SeedSetting, clientSeconds: number, cpus: number): string {
  const [ours, copy, , , perRow] = setting.phases
  return `the seed took ${ours.seconds.toFixed(1)} s; Node's part alone (read, validate, COPY text) ${clientSeconds.toFixed(1)} s of one core, the server's raw COPY of the same rows ${copy.seconds.toFixed(1)} s (${perRow.seconds.toFixed(1)} s with the key checked per row): the seed runs both at once on ${cpus} cores, beside the walsenders that decode its WAL`
}

export function settingTargets(setting: SeedSetting, clientSeconds: number, cpus: number): ScriptTarget[] {
  const [ours, copy, loop, reseed] = setting.phases
  const seedRatio = ours.rowsPerSecond / copy.rowsPerSecond
  const loopRatio = ours.rowsPerSecond / loop.rowsPerSecond
  const reseedRatio = reseed.rowsPerSecond / copy.rowsPerSecond
  const rssMb = setting.seedPeakRssBytes / 1024 / 1024
  return [
    {
      target: 'seed ≥ 0.85× raw COPY rate (same end state)',
      measured: seedRatio,
      needed: 0.85,
      unit: '×',
      met: seedRatio >= 0.85,
      why: seedWhy(setting, clientSeconds, cpus),
    },
    {
      target: 'seed ≥ 20× row-at-a-time rate',
      measured: loopRatio,
      needed: 20,
      unit: '×',
      met: loopRatio >= 20,
      why: `the seed wrote ${Math.round(ours.rowsPerSecond)} products a second, the loop ${Math.round(loop.rowsPerSecond)} on a sample of ${loop.rows}: at this size the seed's fixed costs (Node's start, the categories, the ANALYZE, the key added back) weigh on its rate`,
    },
    {
      target: 're-seed ≥ 2× raw COPY rate (same end state)',
      measured: reseedRatio,
      needed: 2,
      unit: '×',
      met: reseedRatio >= 2,
      why: `the re-seed took ${reseed.seconds.toFixed(1)} s against ${copy.seconds.toFixed(1)} s for raw COPY; Node's part alone (read, validate, COPY text), the same as the seed's, ${clientSeconds.toFixed(1)} s of one core, while the server copies each batch into a temporary table and matches it by key`,
    },
    { target: 're-seed writes 0 rows', measured: reseed.written, needed: 0, unit: ' rows', met: reseed.written === 0 },
    {
      target: `seed's client memory < ${RSS_LIMIT_MB} MB (streamed)`,
      measured: rssMb,
      needed: RSS_LIMIT_MB,
      unit: ' MB',
      met: rssMb < RSS_LIMIT_MB,
      why: `batches end at ${SEED_BATCH_BYTES >> 20} MB of COPY text and two are held at once; the rest is Node itself and V8's allowance for its heap and the driver's buffers, which it collects late`,
    },
  ].map(t => ({ ...t, target: `${setting.name}: ${t.target}` }))
}

/** One setting's phases as a table: rate, ratio to that setting's raw COPY, rows written. */
export function formatSeedPhases(setting: SeedSetting): string {
  const copy = setting.phases[1]
  return formatTable(
    ['phase', 'rows', 'seconds', 'rows/s', 'vs raw COPY', 'rows written'],
    setting.phases.map(p => [
      p.name,
      p.rows,
      Number(p.seconds.toFixed(2)),
      Math.round(p.rowsPerSecond),
      `${(p.rowsPerSecond / copy.rowsPerSecond).toFixed(2)}×`,
      p.written,
    ]),
  )
}

export const seedSettingTitle = (s: SeedSetting) =>
  `${s.name}: ${s.where}; seed's client peak memory ${formatBytes(s.seedPeakRssBytes)}`

export function formatSeedBench(report: SeedBenchReport): string {
  return [
    `Seed benchmark: ${report.rows.toLocaleString('en-US')} generated products (a ${formatBytes(report.fileBytes)} file, generated in ${report.generateSeconds.toFixed(1)} s), ${report.machine.cpus} CPUs, PostgreSQL ${report.machine.postgres}`,
    ...report.settings.flatMap(s => ['', seedSettingTitle(s), formatSeedPhases(s)]),
    '',
    formatTable(['Target', 'Measured', 'Needed', 'Result'], report.targets.map(targetRow)),
    '',
    ...report.settings[0].phases.map(p => colour.dim(`${p.name}: ${p.note}`)),
    colour.dim(report.method),
  ].join('\n')
}
