// SUBSCRIPTION_OWNER: on PostgreSQL 16+ a replica's subscription is owned by a role that is not a
// superuser, as PostgreSQL 16 allows (pg_create_subscription, password_required), instead of
// replkit's login. Every way replkit makes a subscription (make replicate, make sync's atomic
// copy, a switchover's follower) hands it over here, after it exists; 15 refuses such an owner.
import type { Config, NodeSpec } from '../config.js'
import { type Sql, majorOf, serverVersionNum, withNode } from '../db.js'
import type { SetupContext } from './setup-context.js'
import { runSqlFile } from '../sql-files.js'
import { qualifiedTables, subscriptionName } from './names.js'

/** PostgreSQL 15 lets only a superuser own a subscription. */
export const OWNER_SINCE = 16

export type Handover = 'unchanged' | 'handed over' | 'too old'

/** The node's subscription handed to SUBSCRIPTION_OWNER (058), unless it is already; a dry run prints the file. */
export async function ownSubscription(config: Config, node: NodeSpec, sql: Sql, dryRun: boolean): Promise<Handover> {
  const role = config.subscriptionOwner!
  if (majorOf(await serverVersionNum(sql)) < OWNER_SINCE) return 'too old'
  const name = subscriptionName(node)
  const [state] = await sql`
    select s.subowner::regrole::text = ${role} and s.subpasswordrequired as owned
    from pg_subscription s join pg_database d on d.oid = s.subdbid and d.datname = current_database()
    where s.subname = ${name}`
  if (state?.owned) return 'unchanged'
  await runSqlFile(node, 'sql/replication/058_subscription_owner.sql', {
    vars: { role, dbname: node.database, tables: qualifiedTables(config), subscription: name },
    dryRun,
  })
  return 'handed over'
}

/** One line for the operator: who owns the subscription and as whom it applies. */
export async function describeOwner(sql: Sql, node: NodeSpec): Promise<string> {
  const [s] = await sql`
    select subowner::regrole::text as owner, subrunasowner as run_as_owner, subpasswordrequired as password_required
    from pg_subscription where subname = ${subscriptionName(node)}`
  return s
    ? `${subscriptionName(node)} owned by ${s.owner} (not a superuser; password_required = ${s.password_required}, run_as_owner = ${s.run_as_owner}: applies as ${s.run_as_owner ? `${s.owner}, granted DML on the published tables` : "each table's owner"})`
    : `${subscriptionName(node)} would be owned by its SUBSCRIPTION_OWNER`
}

/** make replicate: every replica's subscription owned by SUBSCRIPTION_OWNER (preflight proved each 16+). */
export async function subscriptionOwners(c: SetupContext): Promise<void> {
  if (!c.config.subscriptionOwner) return
  for (const replica of c.config.replicas)
    await withNode(replica, async sql => {
      const handover = await ownSubscription(c.config, replica, sql, c.dryRun)
      c.steps.ok(`${replica.name}: ${await describeOwner(sql, replica)}`, handover === 'handed over')
    })
}
