// A parallel copy killed half-way and resumed: `make replicate --copy-method parallel` cutting the
// tables into parts, timed whole; then the same copy run as the command, killed with SIGKILL (its
// whole process group, as a lost terminal or the OOM killer would) once half its parts are in on
// the replicas, and the next make replicate timed as it resumes from the record the killed run
// left (replication/copy-resume.ts). Issue 31's goal: the resume costs < 60 % of a full copy.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type Config, loadEnv, repoRoot } from '../config.js'
import { type Sql, connect, withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { poll } from '../wait.js'
import { emptyTables, expectReplicasHold, removeReplication, replicateQuietly, timed } from './copy-cluster.js'
import { type Target, within } from './targets.js'

/** Issue 31: kill at ~50 % + resume costs < 60 % of a full copy. */
const RESUME_TARGET = { killedAt: 0.5, ofFull: 0.6 }
/** Parts per replica the tables are cut into, so the kill lands between parts at any size. */
export const PARTS_PER_REPLICA = 16

export interface CopyResume {
  /** --split-tables-larger-than: the part size, in MB. */
  partMb: number
  /** A full parallel copy to every replica, preflight to caught up. */
  fullSeconds: number
  /** The killed run: its parts on all replicas, those in when it was killed, and when. */
  parts: number
  partsInAtKill: number
  killedAfterSeconds: number
  /** The next make replicate: the rest copied from the same snapshot, subscribed, caught up. */
  resumeSeconds: number
}

/**
 * From a PRIMARY holding the rows and no replication: the full parallel copy timed, then the
 * killed one and its resume; each ends with every replica holding exactly `expected`.
 */
export async function copyResumeBench(
  config: Config,
  expected: Record<string, number>,
  timeoutMs: number,
  say: (text: string) => void,
): Promise<CopyResume> {
  const partMb = await withNode(config.primary, sql => partSizeMb(sql, config.tables))
  const parallel = { copyMethod: 'parallel' as const, copyPartMb: partMb }
  const fresh = async () => {
    await removeReplication(config)
    await Promise.all(config.replicas.map(r => emptyTables(r, config)))
  }
  say(`  make replicate --copy-method parallel --split-tables-larger-than ${partMb} (timed) ...`)
  await fresh()
  const fullSeconds = await timed(() => replicateQuietly(config, timeoutMs, parallel))
  await expectReplicasHold(config, expected, 'the parallel copy')
  say('  the same, killed (SIGKILL) once half its parts are in, then resumed (timed) ...')
  await fresh()
  const killed = await killHalfWay(config, partMb, timeoutMs)
  const resumeSeconds = await timed(() => replicateQuietly(config, timeoutMs, { ...parallel, truncateReplicas: false }))
  await expectReplicasHold(config, expected, 'the resumed copy')
  return { partMb, fullSeconds, ...killed, resumeSeconds }
}

/** The part size that cuts the published tables' heap into about PARTS_PER_REPLICA parts. */
async function partSizeMb(primary: Sql, tables: string[]): Promise<number> {
  const [{ bytes }] = await primary.unsafe(
    `select coalesce(sum(pg_relation_size(('public.' || t)::regclass)), 0)::bigint as bytes from unnest($1::text[]) as t`,
    [tables],
  )
  return Math.max(1, Math.floor(Number(bytes) / 2 ** 20 / PARTS_PER_REPLICA))
}

/** Parts recorded on the replicas (replkit.copy_parts) and how many are in, summed. */
async function partsIn(replicas: Sql[]): Promise<{ copied: number; parts: number }> {
  const counts = await Promise.all(
    replicas.map(async sql => {
      const [{ present }] = await sql`select to_regclass('replkit.copy_parts') is not null as present`
      if (!present) return { copied: 0, parts: 0 }
      const [row] = await sql`select count(copied_at)::int as copied, count(*)::int as parts from replkit.copy_parts`
      return row as { copied: number; parts: number }
    }),
  )
  return counts.reduce((a, b) => ({ copied: a.copied + b.copied, parts: a.parts + b.parts }), { copied: 0, parts: 0 })
}

/**
 * `replkit replicate --copy-method parallel` as an operator runs it, killed with its process group
 * once half its parts are in. Throws when it ends first: then nothing was left to resume.
 */
async function killHalfWay(
  config: Config,
  partMb: number,
  timeoutMs: number,
): Promise<Pick<CopyResume, 'parts' | 'partsInAtKill' | 'killedAfterSeconds'>> {
  const args = ['replicate', '--copy-method', 'parallel', '--split-tables-larger-than', String(partMb)]
  const started = performance.now()
  const child = spawn(process.execPath, [join(repoRoot, 'bin/replkit.js'), ...args], {
    cwd: repoRoot,
    env: loadEnv(),
    detached: true,
    stdio: 'ignore',
  })
  let ended = false
  const exited = new Promise(resolve => child.once('exit', resolve)).then(() => {
    ended = true
  })
  const replicas = config.replicas.map(node => connect(node))
  try {
    const half = await poll(
      async () => {
        if (ended) return null
        const now = await partsIn(replicas)
        return now.parts && now.copied >= now.parts * RESUME_TARGET.killedAt ? now : undefined
      },
      timeoutMs,
      20,
    )
    if (!half)
      throw new ReplkitError(`bench: make replicate ${ended ? 'ended' : 'ran on'} before half its parts were in`)
    process.kill(-child.pid!, 'SIGKILL')
    const killedAfterSeconds = (performance.now() - started) / 1000
    await exited
    const left = await partsIn(replicas)
    return { parts: left.parts, partsInAtKill: left.copied, killedAfterSeconds }
  } finally {
    if (!ended) process.kill(-child.pid!, 'SIGKILL')
    await Promise.all(replicas.map(sql => sql.end()))
  }
}

export const resumeTargets = (r: CopyResume): Target[] => [
  within(
    'initial copy',
    `a parallel copy killed at ${Math.round((r.partsInAtKill / r.parts) * 100)} % of its parts: the resume takes < ${RESUME_TARGET.ofFull}× a full copy`,
    r.resumeSeconds / r.fullSeconds,
    RESUME_TARGET.ofFull,
    '×',
    `the resume copies the ${r.parts - r.partsInAtKill} parts of ${r.parts} not yet in, then builds every deferred index and catches up, which the killed run had not begun`,
  ),
]
