// The local cluster's servers as replkit's commands may use them beyond SQL (server-access.ts):
// restarted with pg_ctl, pg_hba.conf's replkit block rewritten and reloaded, logs read from
// CLUSTER_DIR. Any other node is the operator's.
import { readFile, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config, NodeSpec } from '../config.js'
import { ReplkitError } from '../errors.js'
import type { ServerAccess } from '../server-access.js'
import { isLocalClusterNode, lastStartFailure, localNode, reloadNode, restartNode } from './local-cluster.js'

/** The access for this configuration: the local cluster's nodes are replkit's own, the others the operator's. */
export function serverAccess(config: Config): ServerAccess {
  return {
    owns: spec => isLocalClusterNode(config, spec),
    restart: spec => restartNode(config, localNode(config, spec)),
    writeHba: (spec, lines, dryRun) => ensureLocalHba(config, spec, lines, dryRun),
    logFile: spec => localNode(config, spec).logFile,
    startFailure: spec => lastStartFailure(localNode(config, spec).logFile),
    walDisk: async spec => {
      const fs = await statfs(join(localNode(config, spec).dataDir, 'pg_wal'))
      return { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize }
    },
  }
}

const BEGIN = '# replkit:replication begin'
const END = '# replkit:replication end'

/** Replaces the managed block of pg_hba.conf; returns the new text, or null when already so. */
function withHbaBlock(hba: string, lines: string[]): string | null {
  const all = hba.split('\n')
  const start = all.findIndex(l => l.startsWith(BEGIN))
  const end = all.findIndex(l => l.startsWith(END))
  if (start < 0 || end < start)
    throw new ReplkitError('pg_hba.conf has no "# replkit:replication begin/end" block (it was not made by make up)')
  if (all.slice(start + 1, end).join('\n') === lines.join('\n')) return null
  return [...all.slice(0, start + 1), ...lines, ...all.slice(end)].join('\n')
}

/** Writes the replication role's lines into a local node's pg_hba.conf and reloads it. */
export async function ensureLocalHba(
  config: Config,
  spec: NodeSpec,
  lines: string[],
  dryRun: boolean,
): Promise<boolean> {
  const node = localNode(config, spec)
  const file = join(node.dataDir, 'pg_hba.conf')
  const next = withHbaBlock(await readFile(file, 'utf8'), lines)
  if (next === null) return false
  if (!dryRun) {
    await writeFile(file, next)
    await reloadNode(config, node)
  }
  return true
}
