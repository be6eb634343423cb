// The replication role's secret: REPLICATOR_PASSWORD from the environment or .env, else the file
// CLUSTER_DIR/replicator.password (mode 0600) that make up writes for the local cluster. Never on
// a command line.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config.js'
import { ReplkitError } from '../errors.js'

export const replicatorPasswordFile = (config: Config) => join(config.clusterDir, 'replicator.password')

export async function replicatorPassword(config: Config): Promise<string> {
  if (config.replicatorPassword) return config.replicatorPassword
  const file = replicatorPasswordFile(config)
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  throw new ReplkitError(
    'REPLICATOR_PASSWORD is not set: put it in .env or the environment (never on the command line)',
  )
}
