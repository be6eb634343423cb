// A local cluster of the benchmark's own (its own ports and CLUSTER_DIR beside the checkout's),
// built and driven by the replkit command as an operator runs it, and removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { $ } from 'zx'
import { ReplkitError } from '../errors.js'
import { runReplkit } from './peak-rss.js'

export interface OwnCluster {
  /** What the section calls it: the temporary directory's name. */
  name: string
  replicas: number
  /** The PRIMARY's port; replica i listens on port + i. */
  port: number
  /** PG_VERSIONS for it; absent: the machine's PostgreSQL 15, whatever the checkout's .env says. */
  versions?: string
}

function clusterEnv(c: OwnCluster, dir: string): NodeJS.ProcessEnv {
  const url = (i: number) => `postgres://postgres:bench@127.0.0.1:${c.port + i}/shop`
  const { FORCE_COLOR: _ignored, PGBOUNCER_PORT: _none, PG_VERSIONS: _all15, ...inherited } = process.env
  return {
    ...inherited,
    ...(c.versions ? { PG_VERSIONS: c.versions } : {}),
    NO_COLOR: '1',
    CLUSTER_DIR: join(dir, 'cluster'),
    SAVE_DIR: join(dir, 'saved'),
    PRIMARY_URL: url(0),
    REPLICA_URLS: Array.from({ length: c.replicas }, (_, i) => url(i + 1)).join(','),
  }
}

/** One replkit command on the cluster, its wall time; a failure stops the section with its output. */
export async function timedReplkit(env: NodeJS.ProcessEnv, args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now()
  const r = await runReplkit(env, args)
  if (r.code !== 0)
    throw new ReplkitError(`bench: replkit ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return { ms: performance.now() - started, stdout: r.stdout }
}

/** The cluster up, its schema applied and seeded (not replicated yet) while fn runs; removed after. */
export async function withOwnCluster<T>(c: OwnCluster, fn: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `replkit-bench-${c.name}-`))
  await $`chmod 755 ${dir}` // the postgres user runs the servers
  const env = clusterEnv(c, dir)
  try {
    for (const step of [['up'], ['schema'], ['seed']]) await timedReplkit(env, step)
    return await fn(env)
  } finally {
    await runReplkit(env, ['cluster', 'clean', '--yes'])
    await rm(dir, { recursive: true, force: true })
  }
}
