// The consistency benchmark (make bench, section consistency; make bench-check): comparing and
// repairing a big table, against the floor of one in-database hash scan of it per node, all nodes
// in parallel (what no comparison can beat: every row must be read and hashed once). Runs in its
// own database (replkit_bench) on every node, loaded with identical deterministic rows and then
// replicated (subscriptions with copy_data = false), so the shop database is never touched; the
// database is dropped at the end unless keep. Measures in one run: the quiet compare, locating
// 100 scattered differing rows, repairing 1,000, the compare under 500 writes/s, client memory.
import { cpus } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { OpenNode } from '../node.js'
import { tableSums } from '../checks/fingerprint.js'
import type { CheckReport } from '../checks/report.js'
import { type Config, type NodeSpec, allNodes, loadEnv } from '../config.js'
import { type Sql, connect, connectChecked } from '../db.js'
import { ReplkitError } from '../errors.js'
import { repairTable } from '../repair/repair.js'
import { sqlText } from '../sql-files.js'
import {
  BENCH_DB,
  benchEnv,
  benchSpec,
  benchSubscription,
  dropBenchDatabase,
  dropReplication,
  nudgePrices,
  prepare,
  replicate,
  scattered,
  startWriter,
} from './consistency-db.js'
import { type CommandRun, peakRss, runReplkit } from './peak-rss.js'
import { median } from './stats.js'
import {
  type ConsistencyBenchOptions,
  type ConsistencyBenchReport,
  LOCATE_ROWS,
  REPAIR_ROWS,
  WRITE_RATE,
  targetsOf,
} from './consistency-report.js'

async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const times: number[] = []
  let value!: T
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    value = await fn()
    times.push(performance.now() - started)
  }
  return { ms: median(times), value }
}

type Timed<T> = Awaited<ReturnType<typeof timed<T>>>

/** The nodes held for the run: the bench PRIMARY, its replicas, and the compare over them. */
interface Run {
  config: Config
  opts: ConsistencyBenchOptions
  conns: Sql[]
  primary: OpenNode
  replicas: OpenNode[]
  /** The replica made to differ and repaired: the last one. */
  target: NodeSpec
  compare: (rows: boolean) => Promise<TableCompare>
}

const states = (c: TableCompare) => c.replicas.map(r => `${r.name} ${r.state}`)
const equal = (c: TableCompare) => c.replicas.every(v => v.state === 'equal')

export async function consistencyBench(config: Config, opts: ConsistencyBenchOptions): Promise<ConsistencyBenchReport> {
  const nodes = allNodes(config)
  await loadEveryNode(nodes, opts)
  const run = await openRun(config, opts)
  try {
    await replicate(config, run.conns[0])
    const floor = await hashScanFloor(run)
    const quiet = await peakRss(() => timed(opts.runs, () => run.compare(false)))
    if (!equal(quiet.value.value))
      throw new ReplkitError(`the quiet compare found a difference: ${states(quiet.value.value).join(', ')}`)
    const { locate, checkDiff } = await locateChanged(run)
    const repairMs = await repairBroken(run)
    const underWrites = await compareUnderWrites(run)
    return reportOf(run, { floor, quiet: quiet.value, peak: quiet.peak, locate, checkDiff, repairMs, ...underWrites })
  } finally {
    await dropReplication(config, run.conns[0])
    await Promise.all(run.conns.map(sql => sql.end({ timeout: 1 })))
    if (!opts.keep) {
      await dropBenchDatabase(nodes)
      opts.say(`dropped ${BENCH_DB} (--keep keeps it for the next run)`)
    }
  }
}

/** N identical products in the bench database of every node (reused when already there). */
async function loadEveryNode(nodes: NodeSpec[], opts: ConsistencyBenchOptions): Promise<void> {
  const started = performance.now()
  const outcomes = await Promise.all(nodes.map(n => prepare(n, opts.rows)))
  opts.say(
    `${BENCH_DB}: ${opts.rows.toLocaleString('en-US')} products on ${nodes.length} nodes (${outcomes.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
}

async function openRun(config: Config, opts: ConsistencyBenchOptions): Promise<Run> {
  const conns = await Promise.all(
    allNodes(config).map(n => connectChecked(benchSpec(n), { statementTimeoutMs: 0, max: 1 })),
  )
  const primary: OpenNode = { name: config.primary.name, sql: conns[0], spec: benchSpec(config.primary) }
  const replicas: OpenNode[] = config.replicas.map((spec, i) => ({
    name: spec.name,
    sql: conns[i + 1],
    spec: benchSpec(spec),
    subscription: benchSubscription(spec),
  }))
  const compare = (rows: boolean) => compareTable(primary, replicas, 'products', { rows, timeoutMs: 600_000 })
  return { config, opts, conns, primary, replicas, target: config.replicas[config.replicas.length - 1], compare }
}

/** The floor: one in-database hash scan per node, all at once; the nodes must agree before anything is timed. */
async function hashScanFloor({ conns, opts }: Run): Promise<Timed<unknown>> {
  const floor = await timed(opts.runs, () => Promise.all(conns.map(sql => tableSums(sql, ['products']))))
  if (!floor.value.every(s => s[0].checksum === floor.value[0][0].checksum && s[0].rows === opts.rows)) {
    throw new ReplkitError(`${BENCH_DB}: the nodes' products differ before the bench; re-run to reload`)
  }
  return floor
}

/** 100 scattered rows changed on the target replica, found by the compare and by make check --diff, changed back. */
async function locateChanged(
  run: Run,
): Promise<{ locate: Timed<TableCompare>; checkDiff: CommandRun & { ms: number } }> {
  const { opts, target } = run
  const changed = scattered(opts.rows, LOCATE_ROWS, 0)
  const targetSql = run.replicas[run.replicas.length - 1].sql
  await nudgePrices(targetSql, changed, 1)
  let locate: Timed<TableCompare>
  let checkDiff: CommandRun & { ms: number }
  try {
    locate = await timed(opts.runs, () => run.compare(true))
    checkDiff = await checkDiffEndToEnd(run)
  } finally {
    await nudgePrices(targetSql, changed, -1)
  }
  const found = locate.value.differences?.filter(d => d.nodes[target.name] === 'different').length
  if (found !== LOCATE_ROWS || locate.value.differences!.length !== LOCATE_ROWS) {
    throw new ReplkitError(
      `the compare found ${locate.value.differences?.length ?? 'too many'} keys, expected the ${LOCATE_ROWS} changed on ${target.name}`,
    )
  }
  return { locate, checkDiff }
}

/** make check --diff products as an operator runs it, a process of its own: end to end (facts, rounds, key listing) and its memory. */
async function checkDiffEndToEnd(run: Run): Promise<CommandRun & { ms: number }> {
  const started = performance.now()
  const check = await runReplkit(benchEnv(run.config, loadEnv()), ['check', '--diff', 'products', '--json'])
  const ms = performance.now() - started
  let keys: number | undefined
  try {
    keys = (JSON.parse(check.stdout) as CheckReport).diff?.differences?.length
  } catch {
    keys = undefined
  }
  if (keys !== LOCATE_ROWS)
    throw new ReplkitError(
      `make check --diff products on ${BENCH_DB} listed ${keys ?? 'no'} keys (exit ${check.code}), expected the ${LOCATE_ROWS} changed: ${check.stderr.trim().slice(0, 300)}`,
    )
  return { ...check, ms }
}

/** 1,000 rows broken on the target and repaired: their comparison is known (located as above), the repair is timed. */
async function repairBroken(run: Run): Promise<number> {
  const { opts, target, config } = run
  await nudgePrices(run.replicas[run.replicas.length - 1].sql, scattered(opts.rows, REPAIR_ROWS, 7), 1)
  // The repair's own session: the replication origin it writes under is per session.
  const repairSql = connect(benchSpec(target), { max: 1 })
  try {
    const repairNode = {
      ...run.replicas[run.replicas.length - 1],
      sql: repairSql,
      subscription: benchSubscription(target),
    }
    const known = await compareTable(run.primary, [repairNode], 'products', { rows: true, timeoutMs: 600_000 })
    await repairSql.unsafe(await sqlText('sql/repair/010_session.sql'))
    const started = performance.now()
    const repaired = await repairTable(
      { config, primary: run.primary, replica: repairNode },
      'products',
      { dryRun: false, batchSize: 500, maxRows: 10_000, timeoutMs: 60_000, say: opts.say },
      known,
    )
    const repairMs = performance.now() - started
    if (repaired.updated !== REPAIR_ROWS || repaired.after !== 'equal')
      throw new ReplkitError(
        `the repair updated ${repaired.updated} rows (${repaired.after}), expected ${REPAIR_ROWS} and equal`,
      )
    return repairMs
  } finally {
    await repairSql.end({ timeout: 1 })
  }
}

/** The compare while a writer updates the bench PRIMARY at 500 writes/s: every replica must still be equal. */
async function compareUnderWrites(run: Run): Promise<{ underWrites: Timed<TableCompare>; writesPerSecond: number }> {
  const writer = startWriter(benchSpec(run.config.primary), run.opts.rows, WRITE_RATE)
  let underWrites: Timed<TableCompare>
  let writesPerSecond: number
  try {
    await sleep(1000)
    underWrites = await timed(run.opts.runs, () => run.compare(false))
  } finally {
    writesPerSecond = await writer.stop()
  }
  if (!equal(underWrites.value))
    throw new ReplkitError(
      `the compare under writes did not find every replica equal: ${states(underWrites.value).join(', ')}`,
    )
  return { underWrites, writesPerSecond }
}

interface Measured {
  floor: Timed<unknown>
  quiet: Timed<TableCompare>
  peak: number
  locate: Timed<TableCompare>
  checkDiff: { ms: number; peak: number }
  repairMs: number
  underWrites: Timed<TableCompare>
  writesPerSecond: number
}

function reportOf(run: Run, m: Measured): ConsistencyBenchReport {
  const compareRatio = m.quiet.ms / m.floor.ms
  const underWritesRatio = m.underWrites.ms / m.quiet.ms
  // Measured inside the one compare, not as the difference of two compares of ~50 s each.
  const locateBeyond = m.locate.value.narrowingMs
  const checkDiffRatio = m.checkDiff.ms / m.floor.ms
  return {
    rows: run.opts.rows,
    nodes: run.conns.length,
    runs: run.opts.runs,
    target: run.target.name,
    blocks: m.quiet.value.blocks,
    hashScanMs: m.floor.ms,
    compareMs: m.quiet.ms,
    compareRatio,
    locateRows: LOCATE_ROWS,
    locateMs: m.locate.ms,
    locateBeyondCompareMs: locateBeyond,
    locateRounds: m.locate.value.rounds,
    checkDiffMs: m.checkDiff.ms,
    checkDiffRatio,
    checkDiffPeakRssBytes: m.checkDiff.peak,
    repairRows: REPAIR_ROWS,
    repairMs: m.repairMs,
    writeRate: WRITE_RATE,
    writesPerSecond: m.writesPerSecond,
    underWritesMs: m.underWrites.ms,
    underWritesRatio,
    underWritesRounds: m.underWrites.value.rounds,
    underWritesStates: states(m.underWrites.value),
    clientPeakRssBytes: m.peak,
    targets: targetsOf(
      run.conns.length,
      {
        compareRatio,
        locateBeyond,
        checkDiffRatio,
        checkDiffPeak: m.checkDiff.peak,
        repairMs: m.repairMs,
        underWritesRatio,
        peak: m.peak,
      },
      {
        rows: run.opts.rows,
        blocks: m.quiet.value.blocks,
        floorMs: m.floor.ms,
        compareMs: m.quiet.ms,
        locateRounds: m.locate.value.rounds,
        underWritesRounds: m.underWrites.value.rounds,
        writesPerSecond: m.writesPerSecond,
        cpus: cpus().length,
      },
    ),
  }
}
