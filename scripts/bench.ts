// make bench: replkit's performance report, and the only benchmark entry point (make bench-seed,
// make bench-copy and make bench-check run one section). Every figure is a ratio against a baseline measured in
// the same run on the same machine (shared 2-core boxes drift too much for absolute numbers to
// mean anything across runs). Writes latest.json, latency-cdf.svg and throughput.svg.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { canaryLatency } from './lib/bench/canary-latency.js'
import { checkWallTime } from './lib/bench/check-wall.js'
import { consistencyBench } from './lib/bench/consistency.js'
import { formatConsistencyBench } from './lib/bench/consistency-report.js'
import { formatInitialCopyBench, initialCopyBench, restoreDemoState } from './lib/bench/initial-copy.js'
import { PRODUCTS_PER_ORDER_ROW, largeTransactionSection } from './lib/bench/large-transaction.js'
import { machineFacts } from './lib/bench/machine.js'
import { metricsCost } from './lib/bench/metrics-cost.js'
import { formatSwitchoverBench, switchoverBench } from './lib/bench/switchover.js'
import { formatReplicasBench, replicasBench, replicasPlot } from './lib/bench/replicas.js'
import { type BenchReport, formatSummary } from './lib/bench/report.js'
import { writePlots } from './lib/bench/report-plots.js'
import { missedSection } from './lib/bench/targets.js'
import { updatePerformancePage } from './lib/bench/performance-page.js'
import { seedBench } from './lib/bench/seed.js'
import { formatSeedBench } from './lib/bench/seed-report.js'
import { LOAD_RATE, PROFILES, SWITCHOVER_RATE, type Sections, TARGET, benchTargets } from './lib/bench/plan.js'
import { applySchema } from './lib/schema.js'
import { isLocalClusterNode } from './lib/cluster/local-cluster.js'
import { type Config, allNodes, loadConfig, repoRoot } from './lib/config.js'
import { type Sql, connectChecked, withNode } from './lib/db.js'
import { EXIT, ReplkitError } from './lib/errors.js'
import { cli, whole } from './lib/flags.js'
import { colour, main } from './lib/output.js'
import { subscriptionName } from './lib/replication/names.js'
import { waitForCatchup } from './lib/replication/waits.js'

const SECTIONS = ['seed', 'copy', 'consistency', 'switchover', 'replicas'] as const
const argv = await cli(
  'bench',
  `$0 [--quick] [--json] [--out DIR] [--only seed|copy|consistency|switchover|replicas [--rows N] ...]

replkit's performance report, each figure against a baseline measured in the same run:
  seed of N generated products      vs raw COPY and a row-at-a-time loop, on an unreplicated database
                                    and on the PRIMARY replicating to the replicas; client peak memory;
                                    at 300,000 and 1,000,000 products (--only seed, one size: make bench-seed)
  initial copy by make replicate    N products + N orders with items and payments to every replica, vs
                                    pg_dump -Fd -j2 + pg_restore -j2 and pgcopydb clone into one database; a parallel
                                    copy killed half-way and resumed, vs the whole copy; one table of 5N rows by
                                    the copy engine vs one COPY stream (--only copy: make bench-copy)
  canary latency per replica        idle, and under ${LOAD_RATE} order inserts/s from pgbench
  large transactions                1,000,000 rows in one INSERT: commit to applied on every replica, here
                                    and on a PostgreSQL 17 PRIMARY with 2 replicas of their own (streaming = parallel);
                                    2,000,000 products in one INSERT, here
  compare and repair on 3 nodes     10,000,000 products: vs one hash scan per node; locate 100 rows, repair 1,000,
                                    compare under 500 writes/s, client memory (--only consistency: make bench-check)
  make check wall time              on the healthy cluster, vs three psql -c 'select 1'
  make metrics scrape cost          time reading the nodes per scrape, and the exporter's memory
  make switchover                   10 in a row, to replica1 and back, under pgbench at ${SWITCHOVER_RATE} writes/s
                                    through PgBouncer: every write pause, nothing lost (--only switchover: make bench-switchover)
  cost by number of replicas        make replicate, check, a scrape and make verify with 2, 5 and 10 replicas,
                                    each on a cluster of its own (--only replicas: make bench-replicas)
Writes DIR/latest.json, DIR/latency-cdf.svg, DIR/throughput.svg, DIR/replicas.svg (and the seed section's seed.json),
and prints a summary with every target met or NOT met. Exits 1 when a target is missed.
Default profile: 1,000,000 products (10,000,000 for the compare), about 47 minutes on 2 cores.
--quick: small N, short load, about 3 minutes (proves the harness; its figures are not the report).

DESTRUCTIVE on this checkout's local cluster only (make up): it rolls replication back,
truncates and reloads tables many times, and leaves the cluster as make demo does (30 products,
replicated). It refuses any other cluster.`,
)
  .option('quick', { type: 'boolean', default: false, describe: 'small N and a short load (about 3 minutes)' })
  .option('json', { type: 'boolean', default: false, describe: 'print latest.json on stdout instead of the summary' })
  .option('out', {
    requiresArg: true,
    type: 'string',
    describe: 'directory for the results (default bench/results, or bench/results/quick with --quick)',
  })
  .option('only', {
    choices: SECTIONS,
    describe: 'run one section alone and print its table (the full report is not written)',
  })
  .option('rows', {
    requiresArg: true,
    coerce: whole('rows'),
    describe:
      'with --only: products to generate (seed; copy: as many orders too) or per node (consistency); default 1,000,000 (consistency: 10,000,000)',
  })
  .option('sample', {
    requiresArg: true,
    default: 50_000,
    coerce: whole('sample'),
    describe: 'with --only seed: rows for the row-at-a-time baseline',
  })
  .option('runs', {
    requiresArg: true,
    default: 3,
    coerce: whole('runs'),
    describe: 'with --only consistency: timed runs per measurement (the median is reported)',
  })
  .option('keep', {
    type: 'boolean',
    default: false,
    describe: 'with --only consistency: keep the replkit_bench database for the next run',
  })
  .parse()

const profileName = argv.quick ? 'quick' : 'default'
const profile = PROFILES[profileName]
const outDir = resolve(repoRoot, argv.out ?? (argv.quick ? 'bench/results/quick' : 'bench/results'))
const say = (text: string) => console.error(colour.dim(text))

/**
 * Every replica caught up and a CHECKPOINT on every node before each section, so no section
 * pays for the one before it (on two cores, apply workers still busy with the last million rows
 * would slow the next measurement down).
 */
async function settle(config: Config, primary: Sql, replicas: Sql[]): Promise<void> {
  await waitForCatchup(primary, config.replicas.map(subscriptionName), 600_000)
  await Promise.all([primary, ...replicas].map(sql => sql.unsafe('checkpoint')))
}

/** One section alone (make bench-seed, make bench-check): its table, or its JSON. */
async function onlySection(config: Config, section: (typeof SECTIONS)[number]): Promise<number> {
  // The seed's second setting is the replicating PRIMARY: set it up first.
  if (section === 'seed') {
    await applySchema(config)
    await restoreDemoState(config)
  }
  const [result, table] =
    section === 'seed'
      ? await seedBench(config, {
          rows: argv.rows ?? PROFILES.default.seedRows,
          sample: argv.sample,
          outDir,
          say,
        }).then(r => [r, formatSeedBench(r)] as const)
      : section === 'copy'
        ? await initialCopyBench(config, argv.rows ?? PROFILES.default.copyRows, outDir, say)
            .then(r => [r, formatInitialCopyBench(r)] as const)
            .finally(() => restoreDemoState(config))
        : section === 'replicas'
          ? await replicasBench(PROFILES.default.replicas, say).then(async r => {
              await writeFile(join(outDir, 'replicas.svg'), replicasPlot(r))
              return [r, formatReplicasBench(r)] as const
            })
          : section === 'consistency'
            ? await consistencyBench(config, {
                rows: argv.rows ?? PROFILES.default.checkRows,
                runs: argv.runs,
                keep: argv.keep,
                say,
              }).then(r => [r, formatConsistencyBench(r)] as const)
            : await switchoverBench(config, SWITCHOVER_RATE, PROFILES.default.switchovers).then(
                r => [r, formatSwitchoverBench(r)] as const,
              )
  console.log(argv.json ? JSON.stringify(result, null, 2) : [table, ...missedSection(result.targets)].join('\n'))
  return result.targets.every(t => t.met) ? EXIT.ok : EXIT.warning
}

/** Each section in turn, the cluster settled before each, so none pays for the one before it. */
async function runSections(config: Config, primary: Sql, replicas: Sql[]): Promise<Sections> {
  const section = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    await settle(config, primary, replicas)
    say(label)
    return run()
  }
  const rows = (n: number) => n.toLocaleString('en-US')
  const check = await section(`make check wall time, ${profile.wallRuns} runs ...`, () =>
    checkWallTime(config, profile.wallRuns),
  )
  const metrics = await section(`metrics: ${profile.scrapes} scrapes of make metrics ...`, () =>
    metricsCost(profile.scrapes),
  )
  const canary = await section(
    `canary latency: ${profile.canaries} idle, ${profile.canaries} under ${LOAD_RATE} tx/s ...`,
    () =>
      canaryLatency(config, primary, replicas, {
        canaries: profile.canaries,
        spacingMs: profile.spacingMs,
        loadRate: LOAD_RATE,
      }),
  )
  // The smaller first: seed.json is the last run's, the default size's.
  const smallSample = Math.round((profile.seedSample * profile.smallSeedRows) / profile.seedRows)
  const smallSeed = await section(`seed: ${rows(profile.smallSeedRows)} products ...`, () =>
    seedBench(config, { rows: profile.smallSeedRows, sample: smallSample, outDir, say }),
  )
  const seed = await section(`seed: ${rows(profile.seedRows)} products ...`, () =>
    seedBench(config, { rows: profile.seedRows, sample: profile.seedSample, outDir, say }),
  )
  const consistency = await section(
    `consistency check: ${rows(profile.checkRows)} products on ${config.replicas.length + 1} nodes ...`,
    () => consistencyBench(config, { rows: profile.checkRows, runs: profile.checkRuns, keep: false, say }),
  )
  const largeTransaction = await section(
    `large transactions: ${rows(profile.largeRows)} order rows, then ${rows(profile.largeRows * PRODUCTS_PER_ORDER_ROW)} products, each in one INSERT ...`,
    () => largeTransactionSection(config, profile.largeRows, say),
  )
  const initialCopy = await section(
    `initial copy: ${rows(profile.copyRows)} products and orders to ${config.replicas.length} replicas, and the baselines ...`,
    () =>
      initialCopyBench(config, profile.copyRows, outDir, say).finally(async () => {
        say('restoring the normal state (30 products, replicated) ...')
        await restoreDemoState(config)
      }),
  )
  const switchovers = await section(
    `switchover: ${profile.switchovers} in a row, to ${config.replicas[0].name} and back, under pgbench at ${SWITCHOVER_RATE} writes/s through PgBouncer ...`,
    () => switchoverBench(config, SWITCHOVER_RATE, profile.switchovers),
  )
  const byReplicas = await section(
    `cost by number of replicas: ${profile.replicas.counts.join(', ')}, each on a cluster of its own ...`,
    () => replicasBench(profile.replicas, say),
  )
  return {
    seed,
    smallSeed,
    initialCopy,
    canary,
    consistency,
    largeTransaction,
    check,
    metrics,
    switchovers,
    replicas: byReplicas,
  }
}

/** latest.json, the plots, and (default profile, default folder) docs/performance.md. */
async function writeReport(report: BenchReport): Promise<void> {
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  // docs/performance.md shows the default profile's figures only (--quick proves the harness, not the speed).
  if (!argv.quick && !argv.out)
    say(
      (await updatePerformancePage(report))
        ? 'docs/performance.md: performance figures regenerated from latest.json'
        : 'docs/performance.md has no bench markers: not updated',
    )
}

function printReport(report: BenchReport): void {
  if (argv.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  console.log(formatSummary(report))
  const files = ['latest.json', report.plots.latencyCdf, report.plots.throughput, report.plots.replicas ?? []].flat()
  console.log(colour.dim(`\nResults: ${files.map(f => relative(process.cwd(), join(outDir, f))).join(', ')}`))
}

main(
  async () => {
    const started = performance.now()
    const config = loadConfig()
    const foreign = allNodes(config).filter(n => !isLocalClusterNode(config, n))
    if (foreign.length) {
      throw new ReplkitError(
        `bench is destructive and runs only on this checkout's local cluster; ${foreign.map(n => `${n.name} (${n.label})`).join(', ')} is not one of its nodes (make up)`,
      )
    }
    await mkdir(outDir, { recursive: true })
    if (argv.only) return onlySection(config, argv.only)
    // Before anything runs, so the load average is the machine's, not ours.
    const machine = await withNode(config.primary, machineFacts)
    say(`bench (${profileName}): setting up the normal state (schema, 30 products, replicated) ...`)
    await applySchema(config)
    // Opened only now: setting up may restart the PRIMARY (wal_level).
    await restoreDemoState(config)
    const primary = await connectChecked(config.primary, { statementTimeoutMs: 0 })
    const replicas = await Promise.all(config.replicas.map(r => connectChecked(r)))
    try {
      const sections = await runSections(config, primary, replicas)
      const targets = benchTargets(sections, profile.largeRows)
      const partial = { at: new Date().toISOString(), profile: profileName, machine, ...sections } as const
      const plots = await writePlots(outDir, partial, TARGET.idleP99Ms, TARGET.loadP99Ms)
      const report: BenchReport = { ...partial, seconds: (performance.now() - started) / 1000, targets, plots }
      await writeReport(report)
      printReport(report)
      return targets.every(t => t.met) ? EXIT.ok : EXIT.warning
    } finally {
      await Promise.all([primary, ...replicas].map(sql => sql.end({ timeout: 1 })))
    }
  },
  { deadlineMs: 5_400_000 },
)
