// make verify — the runbook's five success criteria as pgTAP suites, run by pg_prove against
// the right nodes. Exits 0 when every assertion passes, 2 otherwise.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { type Config, type NodeSpec, repoRoot } from './lib/config.js'
import type { Sql } from './lib/db.js'
import { openNodes } from './lib/node.js'
import { EXIT, ReplkitError } from './lib/errors.js'
import { type ProveResult, ensurePgtap, pgProve } from './lib/checks/pgtap.js'
import { subscriptionName } from './lib/replication/names.js'
import { waitForApplied } from './lib/replication/waits.js'
import { colour, formatTable, main } from './lib/output.js'
import { cleanUp, insertCanary, runLoad, sampleCanaries, verificationResults } from './lib/checks/verification.js'
import { fingerprints, publishedParts } from './lib/checks/fingerprint.js'
import { cli, positive } from './lib/flags.js'
import { loadClusterConfig } from './lib/replication/roles.js'

/** The lag suite's load per CPU core: 300 tps on 2 cores. */
const RATE_PER_CORE = 150
const SUITES = ['publication', 'subscription', 'seed', 'rows', 'queries', 'canary', 'lag'] as const
type Suite = (typeof SUITES)[number]

const argv = await cli(
  'verify',
  "$0 [--suites LIST] [--load-seconds N] [--rate TPS] [--json]\n\nProve the runbook's success criteria with pgTAP suites (pgtap/*.sql) run by pg_prove.",
)
  .option('suites', {
    requiresArg: true,
    type: 'string',
    default: SUITES.join(','),
    describe: `comma-separated subset of ${SUITES.join(', ')}`,
  })
  .option('load-seconds', {
    requiresArg: true,
    default: 10,
    coerce: positive('load-seconds'),
    describe: "how long the lag suite's pgbench load runs",
  })
  .option('rate', {
    requiresArg: true,
    default: RATE_PER_CORE * availableParallelism(),
    coerce: positive('rate'),
    describe: `transactions per second of that load (default ${RATE_PER_CORE} per CPU core: sized to the machine, so the suite measures the replication, not the CPU queue)`,
  })
  .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' })
  .parse()

// Loaded first thing in main, so a bad configuration is one line, not a stack trace.
let config: Config
const wanted = new Set(argv.suites.split(',').map(s => s.trim()) as Suite[])
const results: { suite: Suite; node: string; result: ProveResult }[] = []
const say = (text: string) => {
  if (!argv.json) console.log(text)
}

async function prove(suite: Suite, node: NodeSpec, vars: Record<string, string>) {
  const result = await pgProve(node, [join(repoRoot, 'pgtap', `${suite}.sql`)], vars)
  results.push({ suite, node: node.name, result })
  say(`${colour.bold(`# ${suite} on ${node.name}`)}\n${result.output.trim()}\n`)
}

/** The nodes held open for the run, and the waits every suite shares. */
interface Run {
  primary: Sql
  replicaSql: Sql[]
  subscriptions: string[]
  /** Every replica applied the PRIMARY's current LSN (applied, not only replayed: a streamed transaction's rows are invisible until it commits there). */
  applied: () => Promise<void>
  /** A replica that does not catch up is what the suites fail, with their numbers: said, then judged as it stands (never a crash that skips the verdict). */
  settle: (what: string) => Promise<void>
}

async function openRun(): Promise<Run> {
  const [primary, ...replicaSql] = (await openNodes([config.primary, ...config.replicas])).map(n => n.sql)
  const subscriptions = config.replicas.map(subscriptionName)
  const applied = () =>
    waitForApplied(
      primary,
      replicaSql.map((sql, i) => ({ sql, subscription: subscriptions[i] })),
      5000,
    )
  const settle = (what: string) =>
    applied().catch(error => say(`# ${what}: ${(error as Error).message.split('\n')[0]}; judged as it stands`))
  return { primary, replicaSql, subscriptions, applied, settle }
}

/** The slot each replica's subscription streams from (an atomic resync alternates between two names). */
async function subscriptionSlots(run: Run): Promise<string[]> {
  const slots = await Promise.all(
    run.replicaSql.map(
      async (sql, i) =>
        (await sql`select subslotname from pg_subscription where subname = ${run.subscriptions[i]}`)[0]?.subslotname ??
        run.subscriptions[i],
    ),
  )
  return slots as string[]
}

/** Publication on the PRIMARY, a subscription per replica, the seed: what replication is built of. */
async function setupSuites(run: Run): Promise<void> {
  if (wanted.has('publication'))
    await prove('publication', config.primary, {
      publication: config.publication,
      tables: JSON.stringify(config.tables),
      subscriptions: run.subscriptions.join(','),
      slots: (await subscriptionSlots(run)).join(','),
    })
  if (wanted.has('subscription'))
    for (const replica of config.replicas)
      await prove('subscription', replica, {
        subscription: subscriptionName(replica),
        publication: config.publication,
        table_count: String(config.tables.length),
      })
  if (wanted.has('seed'))
    await prove('seed', config.primary, {
      products_json: await readFile(join(repoRoot, 'data/products.json'), 'utf8'),
    })
}

/** Same rows on every replica (fingerprints) and the same answers to the runbook's queries. */
async function rowSuites(run: Run): Promise<void> {
  if (!wanted.has('rows') && !wanted.has('queries')) return
  await run.settle('rows')
  // A table sent in part is summed over what the publication sends (its columns, its filtered rows).
  const parts = await publishedParts(run.primary, config.publication, config.tables)
  const figures = JSON.stringify(await fingerprints(run.primary, config.tables, parts))
  const { rowCounts, sample } = await verificationResults(run.primary)
  for (const replica of config.replicas) {
    if (wanted.has('rows')) await prove('rows', replica, { primary_fingerprints: figures })
    if (wanted.has('queries'))
      await prove('queries', replica, { primary_row_counts: rowCounts, primary_sample: sample })
  }
}

/** One canary row, visible on every replica within the runbook's 2 s. */
async function canarySuite(run: Run): Promise<void> {
  if (!wanted.has('canary')) return
  const { sku, insertedAt } = await insertCanary(run.primary, 'verify')
  await Promise.all(config.replicas.map(r => prove('canary', r, { canary_sku: sku, inserted_at: insertedAt })))
}

/** Canaries every 50 ms under a pgbench load sized to the machine; the suite judges their arrival times. */
async function lagSuite(run: Run): Promise<void> {
  if (!wanted.has('lag')) return
  say(`# lag: pgbench inserting orders at ${argv.rate} tps for ${argv.loadSeconds} s, canary every 50 ms`)
  const sampler = sampleCanaries(run.primary, randomUUID().slice(0, 6), 50)
  const load = await runLoad(config, argv.loadSeconds, argv.rate)
  const arrivals = await sampler.stop()
  await run.settle('lag')
  say(
    `# lag: ${load.transactions} load transactions (${load.tps.toFixed(0)} tps), ${Object.keys(arrivals).length} canaries`,
  )
  const minSamples = String(Math.floor((argv.loadSeconds * 1000) / 50 / 4))
  for (const replica of config.replicas)
    await prove('lag', replica, { primary_arrivals: JSON.stringify(arrivals), min_samples: minSamples })
}

/** The suites' tally as JSON or as a table with each failure; the exit code. */
function report(): number {
  const passed = results.reduce((n, r) => n + r.result.passed, 0)
  const failed = results.reduce((n, r) => n + r.result.failed + (r.result.ok || r.result.failed ? 0 : 1), 0)
  if (argv.json) {
    const suites = results.map(r => ({
      suite: r.suite,
      node: r.node,
      ok: r.result.ok,
      passed: r.result.passed,
      failed: r.result.failed,
      failures: r.result.failures,
    }))
    console.log(JSON.stringify({ passed, failed, suites }, null, 2))
  } else {
    const rows = results.map(r => [
      r.suite,
      r.node,
      r.result.ok ? colour.green('PASS') : colour.red('FAIL'),
      r.result.passed,
      r.result.failed,
    ])
    console.log(formatTable(['suite', 'node', 'result', 'passed', 'failed'], rows))
    for (const r of results)
      for (const f of r.result.failures) console.log(`${colour.red('✗')} ${r.suite} on ${r.node}: ${f}`)
    console.log(`${passed} passed, ${failed} failed`)
  }
  return failed > 0 ? EXIT.failed : EXIT.ok
}

main(
  async () => {
    config = await loadClusterConfig()
    for (const s of wanted)
      if (!SUITES.includes(s)) throw new ReplkitError(`--suites: unknown suite ${s} (suites: ${SUITES.join(', ')})`)
    await Promise.all([config.primary, ...config.replicas].map(ensurePgtap))
    const run = await openRun()
    const all = [run.primary, ...run.replicaSql]
    try {
      await cleanUp(run.primary, all)
      await setupSuites(run)
      await rowSuites(run)
      await canarySuite(run)
      await lagSuite(run)
    } finally {
      await cleanUp(run.primary, all).catch(() => {})
      await run.applied().catch(() => {})
      await Promise.all(all.map(s => s.end()))
    }
    return report()
  },
  { deadlineMs: 600_000 },
)
