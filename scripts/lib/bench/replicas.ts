// make bench's replicas section: how replkit's cost grows with the number of replicas. For 2, 5
// and 10 replicas, a local cluster of its own (its own ports and CLUSTER_DIR beside the checkout's)
// is set up and every command run as an operator runs it: make replicate timed, make check and
// the exporter's scrapes timed on the healthy cluster, make verify timed and required to pass.
// Reading the nodes is parallel, so the cost should grow far slower than the replica count.
import { cpus } from 'node:os'
import { allNodes, loadConfig } from '../config.js'
import { withNode } from '../db.js'
import { formatTable } from '../output.js'
import { metricsCost } from './metrics-cost.js'
import { timedReplkit, withOwnCluster } from './own-cluster.js'
import { type BarPanel, barChart } from './plots.js'
import { median } from './stats.js'
import { type ScriptTarget, targetRow } from './targets.js'

export const REPLICAS_TARGET = { checkS: 1, scrapeMs: 100 }

export interface ReplicaRun {
  replicas: number
  replicateS: number
  checkMedianMs: number
  /** What check reports as its own work (connect, query, verdicts), median. */
  checkInProcessMs: number
  scrapeMedianMs: number
  /** Absent from reports made before it was kept. */
  scrapeP95Ms?: number
  verifyS: number
  verifyPassed: number
}

export interface ReplicasBench {
  runs: ReplicaRun[]
  targets: ScriptTarget[]
}

/** The first port of each size's cluster: clear of the checkout's cluster and the tests' own. */
const FIRST_PORT = 56700

function measure(replicas: number, index: number, opts: ReplicasOptions, say: (l: string) => void) {
  const port = FIRST_PORT + 20 * index
  say(`  ${replicas} replicas: up, schema, seed, replicate ...`)
  return withOwnCluster({ name: `${replicas}-replicas`, replicas, port }, async env => {
    const replicate = await timedReplkit(env, ['replicate', '--restart-primary'])
    await settle(env)
    const checks = []
    for (let i = 0; i < opts.checkRuns; i++) {
      const run = await timedReplkit(env, ['check', '--json'])
      checks.push({ ms: run.ms, own: (JSON.parse(run.stdout) as { elapsedMs: number }).elapsedMs })
    }
    const scrape = await metricsCost(opts.scrapes, { env, port: port + 19 })
    say(`  ${replicas} replicas: verify ...`)
    const verify = await timedReplkit(env, ['verify', '--json'])
    return {
      replicas,
      replicateS: replicate.ms / 1000,
      checkMedianMs: median(checks.map(c => c.ms)),
      checkInProcessMs: median(checks.map(c => c.own)),
      scrapeMedianMs: scrape.scrapeMedianMs,
      scrapeP95Ms: scrape.scrapeP95Ms,
      verifyS: verify.ms / 1000,
      verifyPassed: (JSON.parse(verify.stdout) as { passed: number }).passed,
    }
  })
}

/**
 * As before every section of make bench: every node vacuumed and checkpointed once replicate is
 * done, so the reads timed next do not share the cores with the set-up's after-work.
 */
async function settle(env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.all(
    allNodes(loadConfig(env)).map(node =>
      withNode(
        node,
        async sql => {
          await sql.unsafe('vacuum analyze')
          await sql.unsafe('checkpoint')
        },
        { statementTimeoutMs: 0 },
      ),
    ),
  )
}

export interface ReplicasOptions {
  /** The cluster sizes, smallest first (default profile 2, 5 and 10). */
  counts: number[]
  checkRuns: number
  scrapes: number
}

export async function replicasBench(opts: ReplicasOptions, say: (l: string) => void): Promise<ReplicasBench> {
  const runs: ReplicaRun[] = []
  for (const [i, n] of opts.counts.entries()) runs.push(await measure(n, i, opts, say))
  return { runs, targets: replicasTargets(runs) }
}

function replicasTargets(runs: ReplicaRun[]): ScriptTarget[] {
  const first = runs[0]
  const last = runs[runs.length - 1]
  // "Far slower than the replica count": at most half of its growth.
  const allowed = last.replicas / first.replicas / 2
  const added = last.replicas - first.replicas
  const grows = (what: string, a: number, b: number, unit: string, each: string): ScriptTarget => ({
    target: `${what}: ${last.replicas} replicas cost < ${allowed}× ${first.replicas} (the replicas grew ${last.replicas / first.replicas}×)`,
    measured: b / a,
    needed: allowed,
    unit: '×',
    met: b / a < allowed,
    why: `each replica past ${first.replicas} added ${((b - a) / added).toFixed(unit === 's' ? 1 : 0)} ${unit} (${each}); every node is read or copied at once, but the ${last.replicas + 1} servers and the client share ${cpus().length} cores`,
  })
  return [
    {
      target: `make check with ${last.replicas} replicas: median wall time < ${REPLICAS_TARGET.checkS} s`,
      measured: last.checkMedianMs / 1000,
      needed: REPLICAS_TARGET.checkS,
      unit: 's',
      met: last.checkMedianMs / 1000 < REPLICAS_TARGET.checkS,
      why: `its own work took ${last.checkInProcessMs.toFixed(0)} ms of ${last.checkMedianMs.toFixed(0)} ms: ${last.replicas + 1} new backends at once (TLS, SCRAM, cold catalogue caches) on ${cpus().length} cores; the rest is starting Node`,
    },
    {
      target: `a scrape of ${last.replicas} replicas reads the nodes in < ${REPLICAS_TARGET.scrapeMs} ms (median)`,
      measured: last.scrapeMedianMs,
      needed: REPLICAS_TARGET.scrapeMs,
      unit: 'ms',
      met: last.scrapeMedianMs < REPLICAS_TARGET.scrapeMs,
      why: `each scrape reads the ${last.replicas + 1} nodes at once: median ${last.scrapeMedianMs.toFixed(1)} ms, p95 ${(last.scrapeP95Ms ?? Number.NaN).toFixed(1)} ms (at ${first.replicas} replicas ${first.scrapeMedianMs.toFixed(1)} ms); the ${last.replicas + 1} servers answer on ${cpus().length} cores`,
    },
    grows('make check', first.checkMedianMs, last.checkMedianMs, 'ms', 'a connection and its queries'),
    grows('a scrape', first.scrapeMedianMs, last.scrapeMedianMs, 'ms', 'its queries on one more server'),
    grows(
      'make replicate',
      first.replicateS,
      last.replicateS,
      's',
      'its copy: a replication session, a slot, COPY of every table, CREATE SUBSCRIPTION',
    ),
    grows('make verify', first.verifyS, last.verifyS, 's', 'its assertions and its canary'),
  ]
}

export function formatReplicasBench(r: ReplicasBench): string {
  return [
    formatTable(
      ['replicas', 'make replicate', 'make check (own work)', 'scrape', 'make verify (assertions passed)'],
      r.runs.map(x => [
        x.replicas,
        `${x.replicateS.toFixed(1)} s`,
        `${Math.round(x.checkMedianMs)} ms (${Math.round(x.checkInProcessMs)} ms)`,
        `${x.scrapeMedianMs.toFixed(1)} ms`,
        `${x.verifyS.toFixed(1)} s (${x.verifyPassed})`,
      ]),
    ),
    formatTable(['target', 'measured', 'needed', 'result'], r.targets.map(targetRow)),
  ].join('\n')
}

/** Each command's cost at each cluster size, one panel each. */
export function replicasPlot(r: ReplicasBench): string {
  const panel = (title: string, value: (x: ReplicaRun) => number, text: (v: number) => string): BarPanel => ({
    title,
    bars: r.runs.map(x => ({ label: `${x.replicas} replicas`, value: value(x), text: text(value(x)) })),
  })
  return barChart(
    'Cost by number of replicas',
    [
      panel(
        'make check, median wall time',
        x => x.checkMedianMs,
        v => `${Math.round(v)} ms`,
      ),
      panel(
        'a scrape (time reading the nodes)',
        x => x.scrapeMedianMs,
        v => `${v.toFixed(1)} ms`,
      ),
      panel(
        'make replicate',
        x => x.replicateS,
        v => `${v.toFixed(1)} s`,
      ),
      panel(
        'make verify',
        x => x.verifyS,
        v => `${v.toFixed(1)} s`,
      ),
    ],
    'longer is slower · each size on a cluster of its own, set up and measured in the same run',
  )
}
