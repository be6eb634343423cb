// Helpers for tests that run replkit's commands against the local cluster, as a user would.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Config, type NodeSpec, loadConfig } from '../../scripts/lib/config.js'
import { type Sql, connect } from '../../scripts/lib/db.js'
import { type Spawned, runScript } from './spawn.js'
import { waitFor } from '../../scripts/lib/wait.js'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'

export const config: Config = loadConfig()

export { runScript }
export type Run = Spawned

export function db(node: NodeSpec = config.primary): Sql {
  return connect(node)
}

export async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-test-'))
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

/** Counts and content checksums of the seeded tables: equal before and after means nothing was written. */
export async function fingerprint(sql: Sql): Promise<string> {
  return JSON.stringify(await fingerprints(sql, ['products', 'inventory', 'categories']))
}

/** Runs one SQL text on a node with a short-lived connection. */
export async function query<T = Record<string, unknown>>(node: NodeSpec, text: string): Promise<T[]> {
  const sql = connect(node)
  try {
    return Array.from(await sql.unsafe(text)) as unknown as T[]
  } finally {
    await sql.end()
  }
}

/** replicate from any state: a rollback may have left rows on the replicas. */
export async function replicated(): Promise<Run> {
  const run = await runScript('replicate', ['--truncate-replicas', '--yes', '--restart-primary'])
  if (run.code !== 0) throw new Error(`replicate failed:\n${run.stdout}\n${run.stderr}`)
  return run
}

export interface VerifyReport {
  passed: number
  failed: number
  suites: { suite: string; node: string; ok: boolean; failures: string[] }[]
}

export async function verify(suites: string[]): Promise<{ code: number; report: VerifyReport }> {
  const run = await runScript('verify', ['--json', '--suites', suites.join(',')])
  try {
    return { code: run.code, report: JSON.parse(run.stdout) as VerifyReport }
  } catch {
    throw new Error(`verify printed no JSON:\n${run.stdout}\n${run.stderr}`)
  }
}

/** "suite@node: failure" lines, for asserting exactly which assertions failed. */
export function failures(report: VerifyReport): string[] {
  return report.suites.flatMap(s => s.failures.map(f => `${s.suite}@${s.node}: ${f}`)).sort()
}

/** Polls done() every 50 ms until it is true; fails naming what it waited for. */
export async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  await waitFor({ what, timeoutMs, until: async () => (await done()) || undefined })
}
