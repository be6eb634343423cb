// pg_hba.conf lines for the replication role: TLS and SCRAM only, naming the database (a logical
// replication connection is not matched by the "replication" keyword: CORRECTIONS.md #7).
import type { Config } from '../config.js'
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
