// --write-env: the node roles after a switchover written back into .env, so PRIMARY_URL names
// the PRIMARY again. Only the node variables change (PRIMARY_NAME, PRIMARY_URL, REPLICA_NAMES,
// REPLICA_URLS, and PG_VERSIONS, which is in node order); every other line stays as it was.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Config, loadEnv, repoRoot } from './config.js'

/** The new .env text: `values` replace their keys' lines, or are appended. */
export function withValues(text: string, values: Record<string, string>): string {
  const left = new Map(Object.entries(values))
  const lines = text.split('\n').map(line => {
    const key = /^\s*([A-Z_][A-Z0-9_]*)\s*=/.exec(line)?.[1]
    if (!key || !left.has(key)) return line
    const value = left.get(key)!
    left.delete(key)
    return `${key}=${value}`
  })
  if (lines.at(-1) === '') lines.pop()
  for (const [key, value] of left) lines.push(`${key}=${value}`)
  return `${lines.join('\n')}\n`
}

/** The node variables for `now` (roles as they are), from the URLs as configured (passwords kept). */
export function nodeVariables(configured: Config, now: Config, env = loadEnv()): Record<string, string> {
  const urls = (env.REPLICA_URLS ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean)
  const url = new Map([
    [configured.primary.name, env.PRIMARY_URL!],
    ...configured.replicas.map((r, i) => [r.name, urls[i]] as [string, string]),
  ])
  const values: Record<string, string> = {
    PRIMARY_NAME: now.primary.name,
    PRIMARY_URL: url.get(now.primary.name)!,
    REPLICA_NAMES: now.replicas.map(r => r.name).join(','),
    REPLICA_URLS: now.replicas.map(r => url.get(r.name)!).join(','),
  }
  if (env.PG_VERSIONS) values.PG_VERSIONS = [now.primary, ...now.replicas].map(n => now.localMajors[n.name]).join(',')
  return values
}

/** Writes the roles into .env; returns the variables the process environment overrides (those win over .env). */
export async function writeRoles(configured: Config, now: Config): Promise<string[]> {
  const file = join(repoRoot, '.env')
  const values = nodeVariables(configured, now)
  await writeFile(file, withValues(existsSync(file) ? await readFile(file, 'utf8') : '', values), { mode: 0o600 })
  return Object.keys(values).filter(k => process.env[k])
}
