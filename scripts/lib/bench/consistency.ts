// The consistency benchmark (make bench, section consistency): what make check's consistency step
// costs on 1M products. Runs in its own database (replkit_bench) on every node, loaded with
// identical deterministic rows, so the shop database, its 30 products and its replication are
// never touched; the database is dropped at the end unless keep. Measures in one run: in-database
// checksums on all nodes in parallel, the client-side baseline (fetch every row from every node
// and compare), and --diff finding 3 rows changed on one replica.
import { createHash } from 'node:crypto'
import { type NodeConnection, closeNodes, openNodes } from '../checks/facts.js'
import { tableSums } from '../checks/fingerprint.js'
import { compareTable } from '../compare/at-lsn.js'
import { ensureSchema } from '../cluster/schema.js'
import { type Config, type NodeSpec, allNodes } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { formatTable } from '../output.js'
import { runSqlFile } from '../sql-files.js'
import { median } from './stats.js'
import type { ScriptTarget } from './targets.js'

export interface ConsistencyBenchOptions {
  rows: number
  runs: number
  keep: boolean
  say: (text: string) => void
}

export interface ConsistencyBenchReport {
  rows: number; nodes: number; runs: number; changedRows: number; diffRoundTrips: number; target: string
  checksumMs: number; clientFetchMs: number; diffMs: number; diffBeyondChecksumMs: number; ratio: number; targets: ScriptTarget[]
}

const BENCH_DB = 'replkit_bench'
// generate_series numbers of the rows changed on one replica: one early, one middle, one late
const changedRows = (rows: number) => [17, Math.floor(rows / 2), rows - 1]

const benchSpec = (node: NodeSpec): NodeSpec => ({ ...node, database: BENCH_DB, label: node.label.replace(/\/[^/]+$/, `/${BENCH_DB}`) })

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

/** The baseline: every row of every node streamed to the client, hashed in key order, compared. */
async function clientSideCompare(nodes: NodeConnection[]): Promise<boolean> {
  const digests = await Promise.all(nodes.map(async n => {
    const hash = createHash('sha256')
    await n.sql!.unsafe('select r::text as row from public.products r order by id').cursor(10_000, rows => {
      for (const r of rows) hash.update(r.row as string).update('\n')
    })
    return hash.digest('hex')
  }))
  return digests.every(d => d === digests[0])
}

/** Changes (or restores) the bench rows on one replica as the apply worker would: no triggers fire. */
async function nudgePrices(node: NodeSpec, changed: number[], by: number): Promise<void> {
  await withNode(node, sql => sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await tx`update public.products set price = price + ${by} where id = any(select md5('product' || g)::uuid from unnest(${changed}::int[]) g)`
  }))
}

export async function consistencyBench(config: Config, opts: ConsistencyBenchOptions): Promise<ConsistencyBenchReport> {
  const CHANGED = changedRows(opts.rows)
  const nodes = allNodes(config)
  let started = performance.now()
  const outcomes = await Promise.all(nodes.map(n => prepare(n, opts.rows)))
  opts.say(`${BENCH_DB}: ${opts.rows.toLocaleString('en-US')} products on ${nodes.length} nodes (${outcomes.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const bench = { ...config, primary: benchSpec(config.primary), replicas: config.replicas.map(benchSpec) }
  const conns = await openNodes(bench, { connectTimeoutSeconds: 3, statementTimeoutMs: 300_000 })
  const down = conns.find(c => !c.sql)
  if (down) throw new ReplkitError(down.error!)
  const target = conns[conns.length - 1].spec
  try {
    const sums = await timed(opts.runs, () => Promise.all(conns.map(c => tableSums(c.sql!, ['products']))))
    const same = sums.value.every(s => s[0].checksum === sums.value[0][0].checksum && s[0].rows === opts.rows)
    if (!same) throw new ReplkitError(`${BENCH_DB}: the nodes' products differ before the bench; re-run to reload`)
    const client = await timed(opts.runs, () => clientSideCompare(conns))
    if (!client.value) throw new ReplkitError(`${BENCH_DB}: the client-side comparison disagrees with the checksums`)

    await nudgePrices(target, CHANGED, 1)
    let diff
    try {
      const [p, ...r] = conns.map(c => ({ name: c.spec.name, sql: c.sql!, spec: c.spec, subscription: null }))
      diff = await timed(opts.runs, () => compareTable(p, r, 'products', { rows: true, timeoutMs: 300_000 }))
    } finally {
      await nudgePrices(target, CHANGED, -1)
    }
    const differences = diff.value.differences ?? []
    const found = differences.filter(d => d.nodes[target.name] === 'different').length
    if (found !== CHANGED.length || differences.length !== CHANGED.length) {
      throw new ReplkitError(`--diff found ${differences.length} keys, expected the ${CHANGED.length} changed on ${target.name}`)
    }
    const ratio = client.ms / sums.ms
    const beyond = diff.ms - sums.ms
    const targets = [
      { target: `in-database checksums of ${conns.length} nodes < 3 s`, measured: sums.ms / 1000, needed: 3, unit: 's', met: sums.ms < 3000 },
      { target: 'checksums ≥ 2× faster than fetching rows to the client', measured: ratio, needed: 2, unit: '×', met: ratio >= 2 },
      // The diff's first level scans the table as the checksums do; what it adds is the narrowing.
      { target: '--diff < 1 s beyond one checksum pass', measured: beyond / 1000, needed: 1, unit: 's', met: beyond < 1000 },
    ]
    return {
      rows: opts.rows, nodes: conns.length, runs: opts.runs, changedRows: CHANGED.length, diffRoundTrips: diff.value.rounds, target: target.name,
      checksumMs: sums.ms, clientFetchMs: client.ms, diffMs: diff.ms, diffBeyondChecksumMs: beyond, ratio, targets,
    }
  } finally {
    await closeNodes(conns)
    if (!opts.keep) {
      started = performance.now()
      await Promise.all(nodes.map(n => withNode({ ...n, database: 'postgres' }, sql => sql.unsafe(`drop database if exists ${BENCH_DB} with (force)`))))
      opts.say(`dropped ${BENCH_DB} (--keep keeps it for the next run)`)
    }
  }
}

export function formatConsistencyBench(r: ConsistencyBenchReport): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  const met = (i: number) => (r.targets[i].met ? '✓' : '✗')
  return formatTable(['measurement', `median of ${r.runs}`, 'target', 'met'], [
    [`in-database checksums, ${r.nodes} nodes in parallel (make check)`, s(r.checksumMs), '< 3 s', met(0)],
    [`fetch all rows from ${r.nodes} nodes to the client and compare (baseline)`, s(r.clientFetchMs), null, null],
    ['baseline ÷ checksums', `${r.ratio.toFixed(1)}×`, '≥ 2×', met(1)],
    [`--diff products: find ${r.changedRows} rows changed on ${r.target} (${r.diffRoundTrips} round trips)`, s(r.diffMs), null, null],
    ['--diff beyond one checksum pass', s(r.diffBeyondChecksumMs), '< 1 s', met(2)],
  ])
}
