// The consistency benchmark's report: what it measures, its targets, and its table.
import { formatBytes, formatTable } from '../output.js'
import type { ScriptTarget } from './targets.js'

export interface ConsistencyBenchOptions {
  rows: number
  runs: number
  keep: boolean
  say: (text: string) => void
}

export interface ConsistencyBenchReport {
  rows: number
  nodes: number
  runs: number
  target: string
  blocks: number
  /** The floor: replkit.table_fingerprint on every node at once. */
  hashScanMs: number
  compareMs: number
  compareRatio: number
  locateRows: number
  locateMs: number
  locateBeyondCompareMs: number
  locateRounds: number
  /** make check --diff products end to end (its own process) with the located rows differing. */
  checkDiffMs: number
  checkDiffRatio: number
  checkDiffPeakRssBytes: number
  repairRows: number
  repairMs: number
  writeRate: number
  writesPerSecond: number
  underWritesMs: number
  underWritesRatio: number
  underWritesRounds: number
  underWritesStates: string[]
  clientPeakRssBytes: number
  targets: ScriptTarget[]
}

export const LOCATE_ROWS = 100
export const REPAIR_ROWS = 1000
export const WRITE_RATE = 500
export const TARGETS = {
  compareRatio: 1.3,
  locateS: 2,
  checkDiffRatio: 1.5,
  repairS: 1,
  underWritesRatio: 2,
  rssMb: 200,
}

export interface ConsistencyMeasured {
  compareRatio: number
  locateBeyond: number
  checkDiffRatio: number
  checkDiffPeak: number
  repairMs: number
  underWritesRatio: number
  peak: number
}

/** The run's figures the whys of missed targets cite. */
export interface ConsistencyContext {
  rows: number
  blocks: number
  floorMs: number
  compareMs: number
  locateRounds: number
  /** The compare under writes: its rounds, and the writes it saw each second. */
  underWritesRounds: number
  writesPerSecond: number
  cpus: number
}

/** What this run shows behind each consistency target, for when it is missed. */
function consistencyWhys(nodes: number, m: ConsistencyMeasured, c: ConsistencyContext) {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  const perBlock = Math.round(c.rows / Math.max(1, c.blocks))
  return {
    compare: `the floor, one hash scan per node on all ${nodes} at once, took ${s(c.floorMs)} on ${c.cpus} cores; the compare ${s(c.compareMs)}: it also works out each row's key-range block (width_bucket over ${c.blocks.toLocaleString('en-US')} bounds, about 15 key comparisons a row) and groups by it, about half a hash scan more in the profile (docs/performance.md)`,
    locate: `${c.locateRounds} rounds beyond the compare, each reading every differing block again on every node: ${LOCATE_ROWS} scattered rows fall in up to ${LOCATE_ROWS} blocks of about ${perBlock.toLocaleString('en-US')} rows, so up to ${(LOCATE_ROWS * perBlock).toLocaleString('en-US')} rows are read per node`,
    checkDiff: `the command took ${m.checkDiffRatio.toFixed(2)}× the floor, the compare alone ${m.compareRatio.toFixed(2)}×: the difference is its start, the other tables' facts and the key listing; the compare's own cost is the line above`,
    underWrites: `under ${Math.round(c.writesPerSecond)} writes/s the compare took ${s(m.underWritesRatio * c.compareMs)} against ${s(c.compareMs)} quiet, in ${c.underWritesRounds} rounds: the blocks the writers changed while it read are read again at a later LSN, and the 4 writing connections and both replicas' apply share the ${c.cpus} cores`,
    repair: `${REPAIR_ROWS} rows written in batches on the replica (what each overwrites saved first), then every repaired key compared again at an LSN the replica reached`,
    memory: `the bench process holds the bench as well as the compare; make check --diff's own process peaked at ${(m.checkDiffPeak / 1024 / 1024).toFixed(1)} MB`,
  }
}

export function targetsOf(nodes: number, measured: ConsistencyMeasured, context: ConsistencyContext): ScriptTarget[] {
  const { compareRatio, locateBeyond, checkDiffRatio, checkDiffPeak, repairMs, underWritesRatio, peak } = measured
  const why = consistencyWhys(nodes, measured, context)
  return [
    {
      target: `full compare of ${nodes} nodes within ${TARGETS.compareRatio}× one hash scan per node in parallel`,
      measured: compareRatio,
      needed: TARGETS.compareRatio,
      unit: '×',
      met: compareRatio <= TARGETS.compareRatio,
      why: why.compare,
    },
    {
      target: `locating ${LOCATE_ROWS} scattered differing rows < ${TARGETS.locateS} s beyond the compare`,
      measured: locateBeyond / 1000,
      needed: TARGETS.locateS,
      unit: 's',
      met: locateBeyond < TARGETS.locateS * 1000,
      why: why.locate,
    },
    {
      target: `make check --diff products end to end within ${TARGETS.checkDiffRatio}× one hash scan per node in parallel`,
      measured: checkDiffRatio,
      needed: TARGETS.checkDiffRatio,
      unit: '×',
      met: checkDiffRatio <= TARGETS.checkDiffRatio,
      why: why.checkDiff,
    },
    {
      target: `make check --diff's memory < ${TARGETS.rssMb} MB (the command's own process)`,
      measured: checkDiffPeak / 1024 / 1024,
      needed: TARGETS.rssMb,
      unit: ' MB',
      met: checkDiffPeak < TARGETS.rssMb * 1024 * 1024,
    },
    {
      target: `repairing ${REPAIR_ROWS} rows < ${TARGETS.repairS} s`,
      measured: repairMs / 1000,
      needed: TARGETS.repairS,
      unit: 's',
      met: repairMs < TARGETS.repairS * 1000,
      why: why.repair,
    },
    {
      target: `compare under ${WRITE_RATE} writes/s within ${TARGETS.underWritesRatio}× the quiet compare`,
      measured: underWritesRatio,
      needed: TARGETS.underWritesRatio,
      unit: '×',
      met: underWritesRatio <= TARGETS.underWritesRatio,
      why: why.underWrites,
    },
    {
      target: `client memory < ${TARGETS.rssMb} MB during the compare`,
      measured: peak / 1024 / 1024,
      needed: TARGETS.rssMb,
      unit: ' MB',
      met: peak < TARGETS.rssMb * 1024 * 1024,
      why: why.memory,
    },
  ]
}

/** A target's verdict by its opening words (a report from before a target existed has none). */
const metMark = (r: ConsistencyBenchReport, opening: string) =>
  r.targets.find(t => t.target.startsWith(opening))?.met ? '✓' : '✗'

export function formatConsistencyBench(r: ConsistencyBenchReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  // Reports written before make check --diff was measured have no such rows.
  const checkDiff = r.checkDiffMs === undefined ? [] : checkDiffRows(r)
  return formatTable(
    ['measurement', `median of ${r.runs}`, 'target', 'met'],
    [
      [`floor: one in-database hash scan of products, ${r.nodes} nodes in parallel`, s(r.hashScanMs), null, null],
      [
        `full compare at an LSN (${r.blocks} blocks)`,
        `${s(r.compareMs)} (${r.compareRatio.toFixed(2)}×)`,
        `≤ ${TARGETS.compareRatio}×`,
        metMark(r, 'full compare'),
      ],
      [
        `locate ${r.locateRows} scattered changed rows on ${r.target} (${r.locateRounds} rounds), beyond the compare`,
        s(r.locateBeyondCompareMs),
        `< ${TARGETS.locateS} s`,
        metMark(r, 'locating'),
      ],
      ...checkDiff,
      [
        `repair ${r.repairRows} rows on ${r.target} (batches, re-verified)`,
        s(r.repairMs),
        `< ${TARGETS.repairS} s`,
        metMark(r, 'repairing'),
      ],
      [
        `compare under ${r.writeRate} writes/s (${r.writesPerSecond.toFixed(0)} achieved, ${r.underWritesRounds} rounds)`,
        `${s(r.underWritesMs)} (${r.underWritesRatio.toFixed(2)}×)`,
        `≤ ${TARGETS.underWritesRatio}×`,
        metMark(r, 'compare under'),
      ],
      [
        'client peak resident memory during the compare',
        formatBytes(r.clientPeakRssBytes),
        `< ${TARGETS.rssMb} MB`,
        metMark(r, 'client memory'),
      ],
    ],
  )
}

function checkDiffRows(r: ConsistencyBenchReport): (string | null)[][] {
  return [
    [
      `make check --diff products end to end, the ${r.locateRows} rows listed (replkit check, its own process)`,
      `${(r.checkDiffMs / 1000).toFixed(2)} s (${r.checkDiffRatio.toFixed(2)}×)`,
      `≤ ${TARGETS.checkDiffRatio}×`,
      metMark(r, 'make check --diff products'),
    ],
    [
      "  its peak resident memory (the command's)",
      formatBytes(r.checkDiffPeakRssBytes),
      `< ${TARGETS.rssMb} MB`,
      metMark(r, "make check --diff's memory"),
    ],
  ]
}
