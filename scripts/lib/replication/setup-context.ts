// The context every step of make replicate takes (config, the ✓/✗ tally, dry-run, the copy's
// choices), and the one way a step runs a file of sql/replication.
import type { Config, NodeSpec } from '../config.js'
import { runSqlFile } from '../sql-files.js'
import type { ServerAccess } from '../server-access.js'
import type { Steps } from '../steps.js'

export interface SetupContext {
  config: Config
  steps: Steps
  dryRun: boolean
  timeoutMs: number
  /** --truncate-replicas --yes: empty a replica's tables before its first subscription. */
  truncateReplicas: boolean
  /**
   * How a new subscription's tables are copied. atomic: from a new slot's exported snapshot, in
   * one replica transaction with the subscription (sync/atomic-copy.ts); parallel: from that
   * snapshot by parallel COPY pipes, a table per transaction (snapshot-copy.ts); subscription:
   * CREATE SUBSCRIPTION copies (copy_data = true, a table-sync worker per table).
   */
  copyMethod: 'atomic' | 'parallel' | 'subscription'
  /** Parallel COPY pipes per replica (parallel copy). */
  copyJobs: number
  /** Tables larger than this many MB are copied in parts of this size (parallel copy). */
  copyPartMb: number
  password: string
  /** --restart-primary: restart-only settings may be applied by restarting the PRIMARY. */
  restartPrimary: boolean
  /** What replkit may do to the servers besides SQL (restart, pg_hba.conf): only to those it runs. */
  servers: ServerAccess
}

/** How long make replicate may run in all: its deadline, and how long a copy's snapshot is held for a resume. */
export const replicateDeadlineMs = (timeoutMs: number) => timeoutMs * 3 + 120_000

export const runFile = (
  c: SetupContext,
  node: NodeSpec,
  file: string,
  vars: Record<string, string>,
  secretVars?: Record<string, string>,
) => runSqlFile(node, `sql/replication/${file}`, { vars, secretVars, dryRun: c.dryRun })
