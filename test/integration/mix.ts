// A cluster of its own for a test that needs other majors or settings than the test cluster's:
// its own ports, CLUSTER_DIR and PG_VERSIONS, every command run as a user runs it with that
// environment, and everything removed afterwards.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { type Config, loadConfig, loadEnv } from '../../scripts/lib/config.js'
import { fingerprints } from '../../scripts/lib/checks/fingerprint.js'
import type { CheckReport } from '../../scripts/lib/checks/report.js'
import { connect } from '../../scripts/lib/db.js'
import { runScript, until } from './helpers.js'

export interface Mix {
  env: Record<string, string>
  config: Config
  dir: string
}

/** PG_VERSIONS and three ports from firstPort; `settings` adds to the environment (e.g. SUBSCRIPTION_OWNER). */
export async function mix(pgVersions: string, firstPort: number, settings: Record<string, string> = {}): Promise<Mix> {
  const dir = await mkdtemp(join(tmpdir(), `replkit-pg${pgVersions.replaceAll(',', '-')}-`))
  await chmod(dir, 0o755) // the postgres user runs the servers
  const urls = [0, 1, 2].map(i => `postgres://postgres:versions@127.0.0.1:${firstPort + i}/shop`)
  const env = {
    PG_VERSIONS: pgVersions,
    CLUSTER_DIR: join(dir, 'cluster'),
    PRIMARY_URL: urls[0],
    REPLICA_URLS: urls.slice(1).join(','),
    SAVE_DIR: join(dir, 'saved'),
    ...settings,
  }
  return { env, config: loadConfig({ ...loadEnv(), ...env }), dir }
}

export async function run(m: Mix, name: string, args: string[] = []) {
  const r = await runScript(name, args, m.env)
  assert.is(r.code, 0, `${name} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

export async function check(m: Mix): Promise<CheckReport & { code: number }> {
  const r = await runScript('check-replication', ['--json'], m.env)
  return { ...(JSON.parse(r.stdout) as CheckReport), code: r.code }
}

export async function sql(m: Mix, node: 'primary' | number, text: string) {
  const spec = node === 'primary' ? m.config.primary : m.config.replicas[node]
  const db = connect(spec)
  try {
    return [...(await db.unsafe(text))]
  } finally {
    await db.end()
  }
}

/** Every node holds the PRIMARY's rows: counts and checksums of every replicated table. */
export async function allEqual(m: Mix): Promise<void> {
  const sums = async (spec: Config['primary']) => {
    const db = connect(spec)
    try {
      return JSON.stringify(await fingerprints(db, m.config.tables))
    } finally {
      await db.end()
    }
  }
  await until('every replica equal to the PRIMARY', 20_000, async () => {
    const [p, ...rs] = await Promise.all([m.config.primary, ...m.config.replicas].map(sums))
    return rs.every(r => r === p)
  })
}

/** Up, schema, seed, replicate: returns make replicate's output. */
export async function replicated(m: Mix): Promise<string> {
  await run(m, 'cluster', ['up'])
  await run(m, 'schema')
  await run(m, 'seed')
  return (await run(m, 'replicate', ['--restart-primary'])).stdout
}

export async function discard(m: Mix): Promise<void> {
  await runScript('cluster', ['clean', '--yes'], m.env)
  await rm(m.dir, { recursive: true, force: true })
}
