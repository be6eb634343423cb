// States for the check tests, reached with replkit's own commands (make replicate / rollback),
// plus what the runbook's "before" state has that a rollback keeps: empty replicas and the
// default wal_level.
import { connect } from '../../scripts/lib/db.js'
import { subscriptionName } from '../../scripts/lib/replication/names.js'
import { waitForCatchup as catchUp, waitForSync } from '../../scripts/lib/replication/waits.js'
import { config, query, replicated, runScript } from './helpers.js'

export async function ensureReplication(): Promise<void> {
  await replicated()
}

/** Every table ready on every replica, and every replica has replayed the PRIMARY's current WAL. */
export async function waitForCatchup(timeoutMs = 20_000): Promise<void> {
  for (const replica of config.replicas) {
    const sql = connect(replica)
    await waitForSync(sql, subscriptionName(replica), timeoutMs).finally(() => sql.end())
  }
  const primary = connect(config.primary)
  await catchUp(primary, config.replicas.map(subscriptionName), timeoutMs).finally(() => primary.end())
}

/**
 * The state before replication: no subscriptions, slots or publication, replicas empty, and
 * wal_level back to replica unless kept (a restart would cut the calling test's connections).
 */
export async function removeReplication({ keepWalLevel = false } = {}): Promise<void> {
  const run = await runScript('rollback', keepWalLevel ? ['--yes'] : ['--yes', '--revert-wal-level'])
  if (run.code !== 0) throw new Error(`rollback failed:\n${run.stdout}\n${run.stderr}`)
  for (const replica of config.replicas)
    await query(replica, `truncate ${config.tables.map(t => `public.${t}`).join(', ')}`)
}
