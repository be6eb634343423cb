// The local cluster's replication password: generated once by make up and kept in CLUSTER_DIR
// (mode 0600), where make replicate reads it when REPLICATOR_PASSWORD is not set.
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { Config } from '../config.js'
import { replicatorPasswordFile } from '../replication/password.js'
import { generatePassword } from '../replication/scram.js'

export async function ensureReplicatorPasswordFile(config: Config): Promise<void> {
  const file = replicatorPasswordFile(config)
  if (config.replicatorPassword || existsSync(file)) return
  await writeFile(file, `${generatePassword()}\n`, { mode: 0o600 })
}
