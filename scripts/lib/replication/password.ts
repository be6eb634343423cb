// The replication role's secret: REPLICATOR_PASSWORD from the environment or .env; on the local
// cluster, one generated once and kept in CLUSTER_DIR with mode 0600. Never on a command line.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isLocalClusterNode } from '../cluster/local-cluster.js'
import type { Config } from '../config.js'
import { ReplkitError } from '../errors.js'
import { generatePassword } from './scram.js'

export const replicatorPasswordFile = (config: Config) => join(config.clusterDir, 'replicator.password')

/** The password; any cluster but the local one must be given it. `create` keeps a generated one. */
export async function replicatorPassword(config: Config, create: boolean): Promise<string> {
  if (config.replicatorPassword) return config.replicatorPassword
  if (!isLocalClusterNode(config, config.primary)) {
    throw new ReplkitError(
      'REPLICATOR_PASSWORD is not set: put it in .env or the environment (never on the command line)',
    )
  }
  const file = replicatorPasswordFile(config)
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const password = generatePassword()
  if (create) await writeFile(file, `${password}\n`, { mode: 0o600 })
  return password
}
