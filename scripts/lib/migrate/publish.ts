// make migrate's last step when it created a table that PUBLICATION_TABLES names: the table is
// published and every subscription refreshed exactly as make replicate does it (its own steps,
// not a copy of them): SELECT granted to the replication role, the publication set to the
// configured tables, each subscription's REFRESH PUBLICATION copying the new table's rows once,
// then every subscription caught up. The configuration stays the one truth of what is published.
import type { Config } from '../config.js'
import { withNode } from '../db.js'
import { monitorRole } from '../replication/monitor-role.js'
import { subscriptionName } from '../replication/names.js'
import { existingSubscription } from '../replication/options.js'
import { replicatorPassword } from '../replication/password.js'
import * as step from '../replication/setup.js'
import type { ServerAccess } from '../server-access.js'
import type { Steps } from '../steps.js'
import type { OpenNode } from '../node.js'

/** A replica without an enabled subscription could not take the new table: refused before anything runs. */
export async function subscriptionsMissing(replicas: OpenNode[]): Promise<string[]> {
  const missing: string[] = []
  for (const r of replicas) {
    const sub = await existingSubscription(r.sql, subscriptionName(r.spec))
    if (!sub?.enabled) missing.push(`${r.name} (${subscriptionName(r.spec)} ${sub ? 'disabled' : 'missing'})`)
  }
  return missing
}

export async function publishConfiguredTables(
  config: Config,
  opts: { timeoutMs: number; servers: ServerAccess },
  steps: Steps,
): Promise<void> {
  const c: step.SetupContext = {
    config,
    steps,
    dryRun: false,
    timeoutMs: opts.timeoutMs,
    truncateReplicas: false,
    copyMethod: 'atomic',
    copyJobs: 2,
    copyPartMb: 128,
    password: await replicatorPassword(config),
    restartPrimary: false,
    servers: opts.servers,
  }
  await withNode(config.primary, async primary => {
    await step.role(c, primary)
    await step.publication(c, primary)
    const ready = await step.subscriptions(c, primary)
    await monitorRole(c)
    await step.catchUp(
      c,
      primary,
      ready.map(r => r.subscription),
    )
  })
}
