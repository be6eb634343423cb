// One rule for who takes writes: the PRIMARY. A replica's database is read-only for client
// sessions (default_transaction_read_only, set for the database); the apply worker does not
// obey it for its own rows (a trigger firing in it runs SQL, which does: the subscriptions' owner
// is exempt), and replkit's own sessions on a replica turn it off (db.ts, libpq.ts).
import type { NodeSpec } from '../config.js'
import { type Sql, withNode } from '../db.js'
import { checkQuery, runSqlFile } from '../sql-files.js'
import type { Steps } from '../steps.js'

/** The database is read-only for new client sessions; replkit's login (the subscriptions' owner) writes. */
async function readOnlyState(sql: Sql): Promise<{ clients: boolean; owner: boolean }> {
  const [row] = await checkQuery(sql, 'node.sql')
  return { clients: row.read_only_for_clients, owner: row.writes_as_owner }
}

/** make replicate: every replica refuses client writes; a replica already set so is left as it is. All read and set at once. */
export async function readOnlyReplicas(
  replicas: NodeSpec[],
  steps: Steps,
  dryRun: boolean,
  subscriptionOwner?: string,
): Promise<void> {
  const states = await Promise.all(replicas.map(replica => withNode(replica, readOnlyState)))
  const already = states.map(state => state.clients && state.owner)
  const toSet = replicas.filter((_, i) => !already[i])
  const set = (replica: NodeSpec) => runSqlFile(replica, 'sql/replication/060_read_only_replica.sql', { dryRun })
  // --dry-run prints each replica's SQL, so in their order.
  if (dryRun) for (const replica of toSet) await set(replica)
  else await Promise.all(toSet.map(set))
  for (const [i, replica] of replicas.entries())
    steps.ok(
      `${replica.name}: read-only for client sessions (default_transaction_read_only for ${replica.database}), except ${
        subscriptionOwner
          ? `${replica.user} (replkit's login) and ${subscriptionOwner}, the subscriptions' owner,`
          : `${replica.user}, the subscriptions' owner,`
      } whose settings the apply worker takes`,
      !already[i],
    )
}

/**
 * A node about to subscribe (the PRIMARY a switchover demotes): read-only for clients with the
 * subscriptions' owner exempt before its apply worker starts, which takes its role's settings then:
 * exempted later, the worker would run read-only until it restarts, and a trigger firing in it fail.
 */
export async function readOnlyBeforeSubscribing(node: NodeSpec, sql: Sql): Promise<void> {
  const state = await readOnlyState(sql)
  if (!(state.clients && state.owner))
    await runSqlFile(node, 'sql/replication/060_read_only_replica.sql', { dryRun: false })
}

/** make rollback: a replica without replication takes client writes again. */
export async function revertReadOnly(replica: NodeSpec, steps: Steps, dryRun: boolean): Promise<void> {
  const state = await withNode(replica, readOnlyState)
  const was = state.clients || state.owner
  if (was) await runSqlFile(replica, 'sql/rollback/060_revert_read_only_replica.sql', { dryRun })
  steps.ok(`${replica.name}: takes client writes again (default_transaction_read_only reset)`, was)
}
