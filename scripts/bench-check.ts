// make bench-check: what make check's consistency step costs on 1M products. Runs in its own
// database (replkit_bench) on every node, loaded with identical deterministic rows, so the shop
// database, its 30 products and its replication are never touched; the database is dropped at
// the end unless --keep. Measures in one run: in-database checksums on all nodes in parallel,
// the client-side baseline (fetch every row from every node and compare), and --diff finding
// 3 rows changed on one replica.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { type NodeConnection, closeNodes, openNodes } from './lib/checks/facts.js'
import { tableSums } from './lib/checks/fingerprint.js'
import { type NodeSpec, allNodes, loadConfig, repoRoot } from './lib/config.js'
import { withNode } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { psql } from './lib/psql.js'
import { formatTable, main, mark } from './lib/output.js'
import { applySchemaFile, schemaFiles, schemaPlan } from './lib/cluster/schema.js'
import { diffTable } from './lib/checks/table-diff.js'
import { median } from './lib/bench/stats.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('bench-check')
  .usage('$0 [--rows N] [--runs N] [--keep] [--json]\n\nBenchmark make check\'s checksums and --diff in a separate database (replkit_bench).')
  .option('rows', { type: 'number', default: 1_000_000, describe: 'products per node' })
  .option('runs', { type: 'number', default: 3, describe: 'timed runs per measurement (the median is reported)' })
  .option('keep', { type: 'boolean', default: false, describe: 'keep replkit_bench for the next run (skips the load)' })
  .option('json', { type: 'boolean', default: false, describe: 'print the figures and targets as JSON (for make bench)' })
  .strict()
  .help()
  .parse()

const BENCH_DB = 'replkit_bench'
// With --json, stdout carries only the JSON document; progress goes to stderr.
const done = (text: string) => (argv.json ? console.error(`✓ ${text}`) : mark.ok(text))
// generate_series numbers of the rows changed on one replica: one early, one middle, one late
const CHANGED = [17, Math.floor(argv.rows / 2), argv.rows - 1]

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
  const files = await schemaFiles()
  for (const step of await withNode(spec, sql => schemaPlan(sql, files))) if (step.state === 'pending') await applySchemaFile(spec, step)
  const [{ n }] = await withNode(spec, sql => sql`select count(*)::int as n from public.products`)
  if (n === rows) return 'reused'
  await psql(spec, { files: [join(repoRoot, 'sql/bench-check/010_load.sql')], vars: { rows: String(rows) } })
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
async function nudgePrices(node: NodeSpec, by: number): Promise<void> {
  await withNode(node, sql => sql.begin(async tx => {
    await tx`set local session_replication_role = replica`
    await tx`update public.products set price = price + ${by} where id = any(select md5('product' || g)::uuid from unnest(${CHANGED}::int[]) g)`
  }))
}

main(async () => {
  const config = loadConfig()
  const nodes = allNodes(config)
  let started = performance.now()
  const outcomes = await Promise.all(nodes.map(n => prepare(n, argv.rows)))
  done(`${BENCH_DB}: ${argv.rows.toLocaleString('en-US')} products on ${nodes.length} nodes (${outcomes.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const bench = { ...config, primary: benchSpec(config.primary), replicas: config.replicas.map(benchSpec) }
  const conns = await openNodes(bench, { connectTimeoutSeconds: 3, statementTimeoutMs: 300_000 })
  const down = conns.find(c => !c.sql)
  if (down) throw new ReplkitError(down.error!)
  const target = conns[conns.length - 1].spec
  try {
    const sums = await timed(argv.runs, () => Promise.all(conns.map(c => tableSums(c.sql!, ['products']))))
    const same = sums.value.every(s => s[0].checksum === sums.value[0][0].checksum && s[0].rows === argv.rows)
    if (!same) throw new ReplkitError(`${BENCH_DB}: the nodes' products differ before the bench; re-run to reload`)
    const client = await timed(argv.runs, () => clientSideCompare(conns))
    if (!client.value) throw new ReplkitError(`${BENCH_DB}: the client-side comparison disagrees with the checksums`)

    await nudgePrices(target, 1)
    let diff
    try {
      diff = await timed(argv.runs, () => diffTable(conns, 'products'))
    } finally {
      await nudgePrices(target, -1)
    }
    const found = diff.value.differences.filter(d => d.nodes[target.name] === 'different').length
    if (found !== CHANGED.length || diff.value.differences.length !== CHANGED.length) {
      throw new ReplkitError(`--diff found ${diff.value.differences.length} keys, expected the ${CHANGED.length} changed on ${target.name}`)
    }
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
    const ratio = client.ms / sums.ms
    const beyond = diff.ms - sums.ms
    const targets = [
      { target: `in-database checksums of ${conns.length} nodes < 3 s`, measured: sums.ms / 1000, needed: 3, unit: 's', met: sums.ms < 3000 },
      { target: 'checksums ≥ 2× faster than fetching rows to the client', measured: ratio, needed: 2, unit: '×', met: ratio >= 2 },
      // The diff's first level scans the table as the checksums do; what it adds is the narrowing.
      { target: '--diff < 1 s beyond one checksum pass', measured: beyond / 1000, needed: 1, unit: 's', met: beyond < 1000 },
    ]
    if (argv.json) {
      console.log(JSON.stringify({
        rows: argv.rows, nodes: conns.length, runs: argv.runs, changedRows: CHANGED.length, diffRoundTrips: diff.value.rounds,
        checksumMs: sums.ms, clientFetchMs: client.ms, diffMs: diff.ms, diffBeyondChecksumMs: beyond, ratio, targets,
      }, null, 2))
      return
    }
    console.log(formatTable(['measurement', `median of ${argv.runs}`, 'target', 'met'], [
      [`in-database checksums, ${conns.length} nodes in parallel (make check)`, s(sums.ms), '< 3 s', targets[0].met ? '✓' : '✗'],
      [`fetch all rows from ${conns.length} nodes to the client and compare (baseline)`, s(client.ms), null, null],
      ['baseline ÷ checksums', `${ratio.toFixed(1)}×`, '≥ 2×', targets[1].met ? '✓' : '✗'],
      [`--diff products: find ${CHANGED.length} rows changed on ${target.name} (${diff.value.rounds} round trips)`, s(diff.ms), null, null],
      ['--diff beyond one checksum pass', s(beyond), '< 1 s', targets[2].met ? '✓' : '✗'],
    ]))
  } finally {
    await closeNodes(conns)
    if (!argv.keep) {
      started = performance.now()
      await Promise.all(nodes.map(n => withNode({ ...n, database: 'postgres' }, sql => sql.unsafe(`drop database if exists ${BENCH_DB} with (force)`))))
      done(`dropped ${BENCH_DB} (make bench-check ARGS="--keep" keeps it for the next run)`)
    }
  }
})
