// What the initial-copy benchmarks do to the local cluster between timings: empty the tables,
// count them, remove replication and run make replicate in process, failing with its lines.
import type { Config, NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { serverAccess } from '../cluster/access.js'
import { qualifiedTables } from '../replication/names.js'
import { type ReplicateOptions, replicate } from '../replication/replicate.js'
import { teardown } from '../replication/teardown.js'
import { Steps } from '../steps.js'
import { copyInOneTransaction } from '../sync/replace.js'

export const timed = async (fn: () => Promise<unknown>) => {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

export async function emptyTables(node: NodeSpec, config: Config): Promise<void> {
  await withNode(node, async sql => {
    await sql.unsafe(`truncate ${qualifiedTables(config)} cascade`)
    await sql.unsafe('checkpoint')
  })
}

/** Rows per published table, in the node's database (or another one on the same server). */
export async function tableCounts(node: NodeSpec, config: Config, database?: string): Promise<Record<string, number>> {
  const spec = database ? { ...node, database } : node
  return withNode(
    spec,
    async sql => {
      const counts: Record<string, number> = {}
      for (const t of config.tables)
        counts[t] = Number((await sql.unsafe(`select count(*) as n from public.${t}`))[0].n)
      return counts
    },
    { statementTimeoutMs: 0 },
  )
}

/** Every copy must land exactly the PRIMARY's rows: a fast copy of the wrong rows is no result. */
export function expectCounts(expected: Record<string, number>, got: Record<string, number>, where: string): void {
  const wrong = Object.keys(expected).filter(t => got[t] !== expected[t])
  if (wrong.length)
    throw new ReplkitError(
      `bench: ${where} holds ${wrong.map(t => `${got[t]} ${t} (the PRIMARY ${expected[t]})`).join(', ')}`,
    )
}

/** Every replica holds exactly the PRIMARY's rows (`expected`) after `what`. */
export async function expectReplicasHold(config: Config, expected: Record<string, number>, what: string) {
  for (const r of config.replicas) expectCounts(expected, await tableCounts(r, config), `after ${what}, ${r.name}`)
}

/** make rollback's core alone: subscriptions, slots, publication (the role and wal_level stay). */
export async function removeReplication(config: Config): Promise<void> {
  await teardown(
    config,
    { dryRun: false, revertWalLevel: false, dropRole: false, servers: serverAccess(config) },
    new Steps(true),
  )
}

/** make replicate in process, its lines kept; fails with them. By default from any state (replicas emptied first). */
export async function replicateQuietly(
  config: Config,
  timeoutMs: number,
  copy: Partial<Pick<ReplicateOptions, 'copyMethod' | 'copyPartMb' | 'truncateReplicas'>> = {},
) {
  const run = await replicate(
    config,
    {
      dryRun: false,
      timeoutMs,
      truncateReplicas: true,
      ...copy,
      copyInOneTransaction,
      restartPrimary: true,
      servers: serverAccess(config),
    },
    new Steps(true),
  )
  if (run.steps.failed) throw new ReplkitError(`bench: make replicate failed:\n${run.steps.lines.join('\n')}`)
  return run
}
