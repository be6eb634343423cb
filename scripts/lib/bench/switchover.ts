// The switchover's write pause under real clients: pgbench (libpq) inserting orders at a steady
// rate through PgBouncer, while make switchover (the library call, as the command runs it) moves
// the PRIMARY to a replica and back, `runs` times in a row. PgBouncer is the cluster's own
// (PGBOUNCER_PORT) or, without one, one the bench starts on a free loopback port and stops after.
// Each pause is make switchover's own (PgBouncer's PAUSE → the new PRIMARY takes writes); pgbench
// counts its failed transactions, and every transaction it committed must be on every node, once.
import { cpus } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { $ } from 'zx'
import type { Config, NodeSpec, PgbouncerSpec } from '../config.js'
import { repoRoot } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { Steps } from '../steps.js'
import { switchover } from '../switchover/switchover.js'
import { serverAccess } from '../cluster/access.js'
import { downPgbouncer, upPgbouncer } from '../cluster/pgbouncer.js'
import { LOAD_EMAIL } from '../checks/verification.js'
import { formatTable } from '../output.js'
import { median } from './stats.js'
import { type ScriptTarget, targetRow } from './targets.js'

export interface SwitchoverBench {
  target: string
  rate: number
  achievedTps: number
  /** Each switchover in order (there, back, there, …): PgBouncer's PAUSE to the new PRIMARY taking writes. */
  writePauseMs: number[]
  /** The proof that every table is equal, before the pause, for each switchover. */
  proofMs: number[]
  /** Command start to done, for each switchover. */
  totalMs: number[]
  /** Transactions pgbench committed, and those that failed (a client error). */
  committed: number
  failed: number
  targets: ScriptTarget[]
}

/** The goal: every pause under a second; a switchover done within ten. */
export const SWITCHOVER_TARGET = { writePauseMs: 1000, totalS: 10 }

const CLIENTS = 4
/** Time allowed per switchover when sizing the load: it must outlast them all. */
const LOAD_SECONDS_PER_SWITCHOVER = 8

export async function switchoverBench(config: Config, rate: number, runs: number): Promise<SwitchoverBench> {
  const target = config.replicas[0]
  await vacuumEveryNode(config)
  const { bouncer, started } = await benchBouncer(config)
  const cfg: Config = { ...config, pgbouncer: bouncer }
  const before = await loadRowsPerNode(config)
  try {
    const perClient = Math.ceil((rate * (4 + runs * LOAD_SECONDS_PER_SWITCHOVER)) / CLIENTS)
    const load = pgbenchThrough(bouncer, config.primary, rate, perClient)
    await sleep(2000)
    const results = []
    for (let i = 0; i < runs; i++) {
      results.push(await switchover(cfg, options(cfg, i % 2 === 0 ? target : config.primary), new Steps(true)))
      await sleep(2000)
    }
    const { committed, failed, tps } = await load
    await everyCommitOnEveryNode(config, before, committed)
    const writePauseMs = results.map(r => r.writePauseMs!)
    const totalMs = results.map(r => r.totalMs)
    return {
      target: target.name,
      rate,
      achievedTps: tps,
      writePauseMs,
      proofMs: results.map(r => r.proofMs!),
      totalMs,
      committed,
      failed,
      targets: switchoverTargets(
        writePauseMs,
        totalMs,
        failed,
        results.map(r => r.proofMs!),
      ),
    }
  } finally {
    if (started) await downPgbouncer(bouncer)
    await withNode(config.primary, sql => sql`delete from public.orders where customer_email = ${LOAD_EMAIL}`)
  }
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

const options = (config: Config, to: NodeSpec) => ({
  to: to.name,
  dryRun: false,
  maxLagBytes: 16 * 1024 * 1024,
  allowOlder: true,
  timeoutMs: 60_000,
  servers: serverAccess(config),
})

/** The sections before leave a million dead rows behind; a shop's tables in steady state are vacuumed. */
async function vacuumEveryNode(config: Config): Promise<void> {
  await Promise.all(
    [config.primary, ...config.replicas].map(node =>
      withNode(node, sql => sql.unsafe('vacuum'), { statementTimeoutMs: 0 }),
    ),
  )
}

/** The cluster's PgBouncer, or one started for the bench on a free loopback port. */
async function benchBouncer(config: Config): Promise<{ bouncer: PgbouncerSpec; started: boolean }> {
  const bouncer = config.pgbouncer ?? {
    host: '127.0.0.1',
    port: await freePort(),
    ini: join(config.clusterDir, 'bench-pgbouncer', 'pgbouncer.ini'),
  }
  const state = await upPgbouncer(config, bouncer)
  return { bouncer, started: !config.pgbouncer && state === 'started' }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * pgbench through PgBouncer: a fixed count per client, not a duration (with -T, transactions
 * queued in PgBouncer's PAUSE when the time runs out still commit, uncounted).
 */
async function pgbenchThrough(bouncer: PgbouncerSpec, primary: NodeSpec, rate: number, perClient: number) {
  const args = ['-h', bouncer.host, '-p', String(bouncer.port), '-U', primary.user, '-n']
  args.push('-f', join(repoRoot, 'sql/load/orders.pgbench'), '-R', String(rate), '-t', String(perClient))
  args.push('-c', String(CLIENTS), '-j', '2', primary.database)
  const env = { ...process.env, PGPASSWORD: primary.password, PGOPTIONS: '', PGSSLMODE: 'prefer' }
  const out = await $({ env, nothrow: true, quiet: true })`pgbench ${args}`
  const committed = Number(/number of transactions actually processed: (\d+)/.exec(out.stdout)?.[1] ?? Number.NaN)
  if (out.exitCode !== 0 || Number.isNaN(committed))
    throw new ReplkitError(`bench: pgbench through PgBouncer failed (exit ${out.exitCode}): ${out.stderr.trim()}`)
  return {
    committed,
    failed: Number(/number of failed transactions: (\d+)/.exec(out.stdout)?.[1] ?? 0),
    tps: Number(/tps = ([\d.]+)/.exec(out.stdout)?.[1] ?? 0),
  }
}

async function loadRowsPerNode(config: Config): Promise<number[]> {
  return Promise.all(
    [config.primary, ...config.replicas].map(node =>
      withNode(node, async sql => {
        const [{ n }] = await sql`select count(*)::int as n from public.orders where customer_email = ${LOAD_EMAIL}`
        return n as number
      }),
    ),
  )
}

/** Every transaction pgbench committed is on every node, once (after the replicas caught up). */
async function everyCommitOnEveryNode(config: Config, before: number[], committed: number): Promise<void> {
  const nodes = [config.primary, ...config.replicas]
  for (let attempt = 0; ; attempt++) {
    const rows = (await loadRowsPerNode(config)).map((n, i) => n - before[i])
    const wrong = rows.flatMap((n, i) => (n === committed ? [] : [`${nodes[i].name} holds ${n}`]))
    if (!wrong.length) return
    if (attempt === 100)
      throw new ReplkitError(
        `bench: after the switchovers pgbench committed ${committed} transactions, but ${wrong.join(', ')}`,
      )
    await sleep(100)
  }
}

function switchoverTargets(
  writePauseMs: number[],
  totalMs: number[],
  failed: number,
  proofMs: number[],
): ScriptTarget[] {
  const longest = writePauseMs.indexOf(Math.max(...writePauseMs))
  const slowest = totalMs.indexOf(Math.max(...totalMs))
  const within = (target: string, measured: number, needed: number, unit: string, why?: string): ScriptTarget => ({
    target,
    measured,
    needed,
    unit,
    met: measured < needed,
    why,
  })
  const { writePauseMs: pause, totalS } = SWITCHOVER_TARGET
  return [
    within(
      `every write pause < ${pause} ms (the longest of ${writePauseMs.length})`,
      Math.max(...writePauseMs),
      pause,
      'ms',
      `the longest pause (switchover ${longest + 1}, ${writePauseMs[longest].toFixed(0)} ms) spent ${proofMs[longest].toFixed(0)} ms proving every table equal before the fence, on a machine running pgbench, PgBouncer and three servers on ${cpus().length} cores`,
    ),
    within(
      `every switchover done < ${totalS} s (the longest)`,
      Math.max(...totalMs) / 1000,
      totalS,
      's',
      `the longest (switchover ${slowest + 1}, ${(totalMs[slowest] / 1000).toFixed(1)} s) held writes for ${writePauseMs[slowest].toFixed(0)} ms; the rest is the steps before and after the pause (the preflight on every node, preparing the target to publish, moving every subscription without a copy), on a machine running pgbench, PgBouncer and three servers on ${cpus().length} cores`,
    ),
    within('pgbench transactions failed (< 1: none)', failed, 1, ''),
  ]
}

/** Every switchover's figures, then the pauses' median and max, then the targets. */
export function formatSwitchoverBench(r: SwitchoverBench): string {
  const rows = r.writePauseMs.map((pause, i) => [
    `${i + 1}`,
    i % 2 === 0 ? `to ${r.target}` : 'back',
    `${pause.toFixed(0)} ms`,
    `${r.proofMs[i].toFixed(0)} ms`,
    `${(r.totalMs[i] / 1000).toFixed(2)} s`,
  ])
  return [
    formatTable(['#', 'switchover', 'write pause', 'proof before the fence', 'command start to done'], rows),
    `write pause: median ${median(r.writePauseMs).toFixed(0)} ms, max ${Math.max(...r.writePauseMs).toFixed(0)} ms over ${r.writePauseMs.length}`,
    `pgbench through PgBouncer asked ${r.rate} tx/s and achieved ${r.achievedTps.toFixed(0)}: ${r.committed} committed, ${r.failed} failed, every committed one on every node`,
    formatTable(['target', 'measured', 'needed', 'result'], r.targets.map(targetRow)),
  ].join('\n')
}
