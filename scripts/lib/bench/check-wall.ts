// make check's wall time as an operator sees it, a fresh process each run on the healthy
// cluster: through make (its set-up check included), the replkit command itself, and the floor
// of any client: psql -c 'select 1' on each node in turn (a process start, TLS and SCRAM three times).
import { join } from 'node:path'
import { $ } from 'zx'
import type { Config } from '../config.js'
import { repoRoot } from '../config.js'
import { ReplkitError } from '../errors.js'
import { clientEnv } from '../libpq.js'
import { median } from './stats.js'

export interface CheckWall {
  runs: number
  /** make check ARGS=--json */
  makeMs: number[]
  medianMakeMs: number
  /** replkit check --json (node bin/replkit.js) */
  wallMs: number[]
  medianWallMs: number
  /** The time the check reports for its own work (connect, query, verdicts), median. */
  medianInProcessMs: number
  /** psql -c 'select 1' on every node, one after another: the floor. */
  medianFloorMs: number
}

async function timed(run: () => Promise<{ exitCode: number | null; stdout: string }>, what: string) {
  const started = performance.now()
  const result = await run()
  const ms = performance.now() - started
  if (result.exitCode !== 0)
    throw new ReplkitError(
      `bench: ${what} is not OK (exit ${result.exitCode}) on the cluster it should time healthy:\n${result.stdout.slice(0, 2000)}`,
    )
  return { ms, stdout: result.stdout }
}

export async function checkWallTime(config: Config, runs: number): Promise<CheckWall> {
  const { FORCE_COLOR: _ignored, ...env } = process.env
  const quiet = { cwd: repoRoot, nothrow: true, quiet: true, env: { ...env, NO_COLOR: '1' } }
  const makeMs: number[] = []
  const wallMs: number[] = []
  const inProcess: number[] = []
  const floor: number[] = []
  for (let i = 0; i < runs; i++) {
    makeMs.push((await timed(() => $(quiet)`make -s check ARGS=--json`, 'make check')).ms)
    const direct = await timed(() => $(quiet)`node ${join(repoRoot, 'bin/replkit.js')} check --json`, 'replkit check')
    wallMs.push(direct.ms)
    inProcess.push((JSON.parse(direct.stdout) as { elapsedMs: number }).elapsedMs)
    const started = performance.now()
    for (const node of [config.primary, ...config.replicas]) {
      await $({ env: clientEnv(node), quiet: true })`psql -X -qAt -c ${'select 1'}`
    }
    floor.push(performance.now() - started)
  }
  return {
    runs,
    makeMs,
    medianMakeMs: median(makeMs),
    wallMs,
    medianWallMs: median(wallMs),
    medianInProcessMs: median(inProcess),
    medianFloorMs: median(floor),
  }
}
