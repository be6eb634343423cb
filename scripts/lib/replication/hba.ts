// pg_hba.conf lines for the replication role: TLS and SCRAM only, naming the database (a logical
// replication connection is not matched by the "replication" keyword: CORRECTIONS.md #7).
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { localNode, reloadNode } from '../cluster/local-cluster.js'
import type { Config } from '../config.js'
import { ReplkitError } from '../errors.js'
import { hbaAddress } from './hba-rules.js'

export function hbaLines(config: Config): string[] {
  const addresses = [...new Set(config.replicas.map(r => hbaAddress(r.host)))]
  return [
    ...addresses.map(
      a =>
        `hostssl   ${config.primary.database.padEnd(8)}  ${config.replicatorUser.padEnd(10)}  ${a.padEnd(15)}  scram-sha-256`,
    ),
    `host      all       ${config.replicatorUser.padEnd(10)}  all              reject`,
  ]
}

const BEGIN = '# replkit:replication begin'
const END = '# replkit:replication end'

/** Replaces the managed block of pg_hba.conf; returns the new text, or null when already so. */
export function withHbaBlock(hba: string, lines: string[]): string | null {
  const all = hba.split('\n')
  const start = all.findIndex(l => l.startsWith(BEGIN))
  const end = all.findIndex(l => l.startsWith(END))
  if (start < 0 || end < start)
    throw new ReplkitError('pg_hba.conf has no "# replkit:replication begin/end" block (it was not made by make up)')
  if (all.slice(start + 1, end).join('\n') === lines.join('\n')) return null
  return [...all.slice(0, start + 1), ...lines, ...all.slice(end)].join('\n')
}

/** Writes the replication role's lines into the local PRIMARY's pg_hba.conf and reloads. */
export async function ensureLocalHba(config: Config, lines: string[], dryRun: boolean): Promise<boolean> {
  const node = localNode(config, config.primary)
  const file = join(node.dataDir, 'pg_hba.conf')
  const next = withHbaBlock(await readFile(file, 'utf8'), lines)
  if (next === null) return false
  if (!dryRun) {
    await writeFile(file, next)
    await reloadNode(config, node)
  }
  return true
}
