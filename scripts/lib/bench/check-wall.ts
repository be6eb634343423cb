// make check's wall time as an operator sees it: a fresh process each time (tsx start-up,
// connections to every node, the whole report), on a healthy cluster.
import { ReplkitError } from '../errors.js'
import { runScript } from '../spawn.js'
import { median } from './stats.js'

export interface CheckWall {
  runs: number
  wallMs: number[]
  medianWallMs: number
  /** The time check-replication reports for its own work (connect, query, verdicts), median. */
  medianInProcessMs: number
}

export async function checkWallTime(runs: number): Promise<CheckWall> {
  const wallMs: number[] = []
  const inProcess: number[] = []
  for (let i = 0; i < runs; i++) {
    const run = await runScript('check-replication', ['--json'])
    if (run.code !== 0) throw new ReplkitError(`bench: make check is not OK (exit ${run.code}) on the cluster it should time healthy:\n${run.stdout.slice(0, 2000)}`)
    wallMs.push(run.ms)
    inProcess.push((JSON.parse(run.stdout) as { elapsedMs: number }).elapsedMs)
  }
  return { runs, wallMs, medianWallMs: median(wallMs), medianInProcessMs: median(inProcess) }
}
