// The consistency benchmark (make bench, section consistency; make bench-check): comparing and
// repairing a big table, against the floor of one in-database hash scan of it per node, all nodes
// in parallel (what no comparison can beat: every row must be read and hashed once). Runs in its
// own database (replkit_bench) on every node, loaded with identical deterministic rows and then
// replicated (subscriptions with copy_data = false), so the shop database is never touched; the
// database is dropped at the end unless keep. Measures in one run: the quiet compare, locating
// 100 scattered differing rows, repairing 1,000, the compare under 500 writes/s, client memory.
import { setTimeout as sleep } from 'node:timers/promises'
import { type CompareNode, type TableCompare, compareTable } from '../compare/at-lsn.js'
import { tableSums } from '../checks/fingerprint.js'
import { ensureSchema } from '../schema.js'
import { type Config, type NodeSpec, allNodes } from '../config.js'
import { type Sql, connect, connectChecked, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { formatBytes, formatTable } from '../output.js'
import { repairTable } from '../repair/repair.js'
import { conninfoValue } from '../replication/conninfo.js'
import { waitForReplayPast } from '../replication/waits.js'
import { runSqlFile, sqlText } from '../sql-files.js'
import { peakRss } from './peak-rss.js'
import { median } from './stats.js'
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

const BENCH_DB = 'replkit_bench'
const PUBLICATION = 'replkit_bench_pub'
const LOCATE_ROWS = 100
const REPAIR_ROWS = 1000
const WRITE_RATE = 500
const TARGETS = { compareRatio: 1.3, locateS: 2, repairS: 1, underWritesRatio: 2, rssMb: 200 }

const benchSpec = (node: NodeSpec): NodeSpec => ({
  ...node,
  database: BENCH_DB,
  label: node.label.replace(/\/[^/]+$/, `/${BENCH_DB}`),
})
const benchSubscription = (replica: NodeSpec) => `replkit_bench_${replica.name}`

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

/** The bench database on a node, with the schema and N deterministic products (loaded unless already there). */
async function prepare(node: NodeSpec, rows: number): Promise<'loaded' | 'reused'> {
  await withNode({ ...node, database: 'postgres' }, async sql => {
    const [{ n }] = await sql`select count(*)::int as n from pg_database where datname = ${BENCH_DB}`
    if (n === 0) await sql.unsafe(`create database ${BENCH_DB}`)
  })
  const spec = benchSpec(node)
  await ensureSchema(spec)
  const [{ n }] = await withNode(spec, sql => sql`select count(*)::int as n from public.products`)
  if (n === rows) return 'reused'
  await runSqlFile(spec, 'sql/bench/010_load_products.sql', { vars: { rows: String(rows) }, dryRun: false })
  return 'loaded'
}

/**
 * The loaded rows replicated from the bench PRIMARY: a publication of products and, on each
 * replica, a subscription with copy_data = false (every node already holds the same rows), as
 * the superuser (this database is the bench's alone). Idempotent; waits until each streams.
 */
async function replicate(config: Config, primary: Sql): Promise<void> {
  const [pub] = await primary`select 1 from pg_publication where pubname = ${PUBLICATION}`
  if (!pub) await primary.unsafe(`create publication ${PUBLICATION} for table public.products`)
  const p = config.primary
  const conninfo = `host=${p.host} port=${p.port} dbname=${BENCH_DB} user=${p.user} password=${conninfoValue(p.password)} sslmode=${p.sslmode === 'disable' ? 'disable' : 'prefer'}`
  for (const replica of config.replicas) {
    await withNode(benchSpec(replica), async sql => {
      const [sub] = await sql`select 1 from pg_subscription where subname = ${benchSubscription(replica)}`
      if (!sub)
        await sql.unsafe(
          `create subscription ${benchSubscription(replica)} connection '${conninfo.replaceAll("'", "''")}' publication ${PUBLICATION} with (copy_data = false)`,
        )
    })
  }
  const [{ lsn }] = await primary`select pg_current_wal_lsn()::text as lsn`
  await waitForReplayPast(primary, config.replicas.map(benchSubscription), lsn, 120_000)
}

async function dropReplication(config: Config, primary: Sql | null): Promise<void> {
  for (const replica of config.replicas) {
    await withNode(benchSpec(replica), sql =>
      sql.unsafe(`drop subscription if exists ${benchSubscription(replica)}`),
    ).catch(() => {})
  }
  await primary?.unsafe(`drop publication if exists ${PUBLICATION}`).catch(() => {})
}

/** Changes the generate_series numbers' rows on one node as the apply worker would (no triggers): +by on price. */
async function nudgePrices(sql: Sql, rows: number[], by: number): Promise<void> {
  await sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await tx`update public.products set price = price + ${by} where id = any(select md5('product' || g)::uuid from unnest(${rows}::int[]) g)`
  })
}

/** count rows spread over the whole key range (every rows/count-th generate_series number). */
const scattered = (rows: number, count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => 1 + offset + Math.floor((i * rows) / count))

/** The application: 4 connections updating random bench products on the PRIMARY at about rate/s. */
function startWriter(spec: NodeSpec, rows: number, rate: number) {
  const sql = connect(spec, { max: 4 })
  let running = true
  let writes = 0
  const started = performance.now()
  const worker = async () => {
    while (running) {
      const t = performance.now()
      await sql`update public.products set stock = stock + 1 where id = md5('product' || ${1 + Math.floor(Math.random() * rows)})::uuid`
      writes++
      await sleep(Math.max(0, 4000 / rate - (performance.now() - t)))
    }
  }
  const workers = [0, 1, 2, 3].map(worker)
  return {
    async stop() {
      running = false
      await Promise.all(workers)
      await sql.end()
      return writes / ((performance.now() - started) / 1000)
    },
  }
}

const states = (c: TableCompare) => c.replicas.map(r => `${r.name} ${r.state}`)

export async function consistencyBench(config: Config, opts: ConsistencyBenchOptions): Promise<ConsistencyBenchReport> {
  const nodes = allNodes(config)
  let started = performance.now()
  const outcomes = await Promise.all(nodes.map(n => prepare(n, opts.rows)))
  opts.say(
    `${BENCH_DB}: ${opts.rows.toLocaleString('en-US')} products on ${nodes.length} nodes (${outcomes.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  const conns = await Promise.all(nodes.map(n => connectChecked(benchSpec(n), { statementTimeoutMs: 0, max: 1 })))
  const [primary, ...replicas] = conns
  const target = config.replicas[config.replicas.length - 1]
  try {
    await replicate(config, primary)
    const p: CompareNode = { name: config.primary.name, sql: primary, spec: benchSpec(config.primary) }
    const r: CompareNode[] = config.replicas.map((spec, i) => ({
      name: spec.name,
      sql: replicas[i],
      spec: benchSpec(spec),
      subscription: benchSubscription(spec),
    }))
    const compare = (rows: boolean) => compareTable(p, r, 'products', { rows, timeoutMs: 600_000 })
    const equal = (c: TableCompare) => c.replicas.every(v => v.state === 'equal')

    const floor = await timed(opts.runs, () => Promise.all(conns.map(sql => tableSums(sql, ['products']))))
    if (!floor.value.every(s => s[0].checksum === floor.value[0][0].checksum && s[0].rows === opts.rows)) {
      throw new ReplkitError(`${BENCH_DB}: the nodes' products differ before the bench; re-run to reload`)
    }
    const quiet = await peakRss(() => timed(opts.runs, () => compare(false)))
    if (!equal(quiet.value.value))
      throw new ReplkitError(`the quiet compare found a difference: ${states(quiet.value.value).join(', ')}`)

    const changed = scattered(opts.rows, LOCATE_ROWS, 0)
    const targetSql = replicas[replicas.length - 1]
    await nudgePrices(targetSql, changed, 1)
    let locate: Awaited<ReturnType<typeof timed<TableCompare>>>
    try {
      locate = await timed(opts.runs, () => compare(true))
    } finally {
      await nudgePrices(targetSql, changed, -1)
    }
    const found = locate.value.differences?.filter(d => d.nodes[target.name] === 'different').length
    if (found !== LOCATE_ROWS || locate.value.differences!.length !== LOCATE_ROWS) {
      throw new ReplkitError(
        `the compare found ${locate.value.differences?.length ?? 'too many'} keys, expected the ${LOCATE_ROWS} changed on ${target.name}`,
      )
    }

    // Repairing 1,000 rows: their comparison is known (located as above), the repair is what is timed.
    const broken = scattered(opts.rows, REPAIR_ROWS, 7)
    await nudgePrices(targetSql, broken, 1)
    const repairSql = connect(benchSpec(target), { max: 1 })
    let repairMs: number
    try {
      const repairNode = { ...r[r.length - 1], sql: repairSql, subscription: benchSubscription(target) }
      const known = await compareTable(p, [repairNode], 'products', { rows: true, timeoutMs: 600_000 })
      await repairSql.unsafe(await sqlText('sql/repair/010_session.sql'))
      started = performance.now()
      const repaired = await repairTable(
        { config, primary: p, replica: repairNode },
        'products',
        { dryRun: false, batchSize: 500, maxRows: 10_000, timeoutMs: 60_000, say: opts.say },
        known,
      )
      repairMs = performance.now() - started
      if (repaired.updated !== REPAIR_ROWS || repaired.after !== 'equal')
        throw new ReplkitError(
          `the repair updated ${repaired.updated} rows (${repaired.after}), expected ${REPAIR_ROWS} and equal`,
        )
    } finally {
      await repairSql.end({ timeout: 1 })
    }

    const writer = startWriter(benchSpec(config.primary), opts.rows, WRITE_RATE)
    let underWrites: Awaited<ReturnType<typeof timed<TableCompare>>>
    let writesPerSecond: number
    try {
      await sleep(1000)
      underWrites = await timed(opts.runs, () => compare(false))
    } finally {
      writesPerSecond = await writer.stop()
    }
    if (!equal(underWrites.value))
      throw new ReplkitError(
        `the compare under writes did not find every replica equal: ${states(underWrites.value).join(', ')}`,
      )

    const compareRatio = quiet.value.ms / floor.ms
    const underWritesRatio = underWrites.ms / quiet.value.ms
    const locateBeyond = locate.ms - quiet.value.ms
    const targets: ScriptTarget[] = [
      {
        target: `full compare of ${conns.length} nodes within ${TARGETS.compareRatio}× one hash scan per node in parallel`,
        measured: compareRatio,
        needed: TARGETS.compareRatio,
        unit: '×',
        met: compareRatio <= TARGETS.compareRatio,
      },
      {
        target: `locating ${LOCATE_ROWS} scattered differing rows < ${TARGETS.locateS} s beyond the compare`,
        measured: locateBeyond / 1000,
        needed: TARGETS.locateS,
        unit: 's',
        met: locateBeyond < TARGETS.locateS * 1000,
      },
      {
        target: `repairing ${REPAIR_ROWS} rows < ${TARGETS.repairS} s`,
        measured: repairMs / 1000,
        needed: TARGETS.repairS,
        unit: 's',
        met: repairMs < TARGETS.repairS * 1000,
      },
      {
        target: `compare under ${WRITE_RATE} writes/s within ${TARGETS.underWritesRatio}× the quiet compare`,
        measured: underWritesRatio,
        needed: TARGETS.underWritesRatio,
        unit: '×',
        met: underWritesRatio <= TARGETS.underWritesRatio,
      },
      {
        target: `client memory < ${TARGETS.rssMb} MB during the compare`,
        measured: quiet.peak / 1024 / 1024,
        needed: TARGETS.rssMb,
        unit: ' MB',
        met: quiet.peak < TARGETS.rssMb * 1024 * 1024,
      },
    ]
    return {
      rows: opts.rows,
      nodes: conns.length,
      runs: opts.runs,
      target: target.name,
      blocks: quiet.value.value.blocks,
      hashScanMs: floor.ms,
      compareMs: quiet.value.ms,
      compareRatio,
      locateRows: LOCATE_ROWS,
      locateMs: locate.ms,
      locateBeyondCompareMs: locateBeyond,
      locateRounds: locate.value.rounds,
      repairRows: REPAIR_ROWS,
      repairMs,
      writeRate: WRITE_RATE,
      writesPerSecond,
      underWritesMs: underWrites.ms,
      underWritesRatio,
      underWritesRounds: underWrites.value.rounds,
      underWritesStates: states(underWrites.value),
      clientPeakRssBytes: quiet.peak,
      targets,
    }
  } finally {
    await dropReplication(config, primary)
    await Promise.all(conns.map(sql => sql.end({ timeout: 1 })))
    if (!opts.keep) {
      started = performance.now()
      await Promise.all(
        nodes.map(n =>
          withNode({ ...n, database: 'postgres' }, sql =>
            sql.unsafe(`drop database if exists ${BENCH_DB} with (force)`),
          ),
        ),
      )
      opts.say(`dropped ${BENCH_DB} (--keep keeps it for the next run)`)
    }
  }
}

export function formatConsistencyBench(r: ConsistencyBenchReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const met = (i: number) => (r.targets[i].met ? '✓' : '✗')
  return formatTable(
    ['measurement', `median of ${r.runs}`, 'target', 'met'],
    [
      [`floor: one in-database hash scan of products, ${r.nodes} nodes in parallel`, s(r.hashScanMs), null, null],
      [
        `full compare at an LSN (${r.blocks} blocks)`,
        `${s(r.compareMs)} (${r.compareRatio.toFixed(2)}×)`,
        `≤ ${TARGETS.compareRatio}×`,
        met(0),
      ],
      [
        `locate ${r.locateRows} scattered changed rows on ${r.target} (${r.locateRounds} rounds), beyond the compare`,
        s(r.locateBeyondCompareMs),
        `< ${TARGETS.locateS} s`,
        met(1),
      ],
      [
        `repair ${r.repairRows} rows on ${r.target} (batches, re-verified)`,
        s(r.repairMs),
        `< ${TARGETS.repairS} s`,
        met(2),
      ],
      [
        `compare under ${r.writeRate} writes/s (${r.writesPerSecond.toFixed(0)} achieved, ${r.underWritesRounds} rounds)`,
        `${s(r.underWritesMs)} (${r.underWritesRatio.toFixed(2)}×)`,
        `≤ ${TARGETS.underWritesRatio}×`,
        met(3),
      ],
      [
        'client peak resident memory during the compare',
        formatBytes(r.clientPeakRssBytes),
        `< ${TARGETS.rssMb} MB`,
        met(4),
      ],
    ],
  )
}
