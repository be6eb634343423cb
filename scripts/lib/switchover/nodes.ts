// The switchover's shared parts: its SQL files, the nodes it holds open, and what it does to one
// node's subscription (used by the switch, its rollback and its crash recovery).
import { type OpenNode, openNodes } from '../node.js'
import type { Config, NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError, EXIT } from '../errors.js'
import { compareTable } from '../compare/at-lsn.js'
import { OWNER_SINCE, ownSubscription } from '../replication/subscription-owner.js'
import { subscriptionConninfo } from '../replication/conninfo.js'
import { subscriptionName } from '../replication/names.js'
import { optionsBetween, withList } from '../replication/options.js'
import { pointsAt } from '../replication/roles.js'
import { readOnlyBeforeSubscribing } from '../replication/read-only.js'
import { queryFile, runSqlFile } from '../sql-files.js'
import type { Steps } from '../steps.js'
import { waitFor } from '../wait.js'

export const sqlFile = (
  node: NodeSpec,
  file: string,
  vars: Record<string, string>,
  dryRun: boolean,
  secretVars?: Record<string, string>,
) => runSqlFile(node, `sql/switchover/${file}`, { vars, secretVars, dryRun })

export const dropSubscription = (node: NodeSpec, dryRun: boolean) =>
  runSqlFile(node, 'sql/rollback/010_revert_subscription.sql', {
    vars: { subscription: subscriptionName(node) },
    dryRun,
  })

/** The node's subscription disabled and its apply worker gone: it applies nothing more (a rollback enables it again). */
export async function stopSubscription(n: OpenNode, timeoutMs: number): Promise<void> {
  const name = subscriptionName(n.spec)
  await n.sql`select 1 from pg_subscription where subname = ${name} and subenabled`.then(rows =>
    rows.length ? n.sql`alter subscription ${n.sql(name)} disable` : null,
  )
  // A worker notices the disable only when it next wakes (up to a second); ended now, it is not
  // started again: the subscription is disabled.
  await n.sql`select pg_terminate_backend(pid) from pg_stat_subscription where subname = ${name} and pid is not null`
  await waitFor({
    what: `${n.spec.name}'s apply worker to stop (its subscription ${name} disabled)`,
    timeoutMs,
    intervalMs: 5,
    until: async () =>
      (await n.sql`select 1 from pg_stat_subscription where subname = ${name} and pid is not null`).length
        ? undefined
        : true,
  })
}

/** A slot on `primary` for `node`'s subscription, from this point (025_reserve_slot.sql); its LSN. */
export async function reserveSlot(primary: Sql, node: NodeSpec): Promise<string> {
  const [row] = await queryFile(primary, 'sql/switchover/025_reserve_slot.sql', [subscriptionName(node)])
  return row.lsn
}

const slotExists = async (sql: Sql, name: string): Promise<boolean> =>
  (await sql`select 1 from pg_replication_slots where slot_name = ${name}`).length > 0

/**
 * node subscribes to `primary` without a copy (every node holds the same rows), on its slot there:
 * `reserved` — the one reserved before `primary` took writes, which must still be there; `now` —
 * one reserved from this point (nobody has written since the fence: a rollback).
 */
export async function subscribeTo(
  config: Config,
  primary: Sql,
  node: NodeSpec,
  nodeSql: Sql,
  password: string,
  slot: 'reserved' | 'now',
): Promise<string> {
  const name = subscriptionName(node)
  if (slot === 'now') await reserveSlot(primary, node)
  else if (!(await slotExists(primary, name)))
    throw new ReplkitError(
      `${node.name}: the slot ${name} reserved for it on the new PRIMARY is gone, so the writes since the promote cannot reach it: resync it: make sync ARGS="--replica ${node.name} --yes"`,
      EXIT.failed,
    )
  const chosen = await optionsBetween(primary, nodeSql, config.tables)
  const vars = { subscription: name, publication: config.publication, options: withList(chosen) }
  await sqlFile(node, '020_subscribe_to_new_primary.sql', vars, false, {
    conninfo: subscriptionConninfo(config, password),
  })
  return `${withList(chosen)}${await ownerOf(config, node, nodeSql)}`
}

/** SUBSCRIPTION_OWNER takes the new subscription where the node's major allows it; said either way. */
async function ownerOf(config: Config, node: NodeSpec, nodeSql: Sql): Promise<string> {
  if (!config.subscriptionOwner) return ''
  const handover = await ownSubscription(config, node, nodeSql, false)
  return handover === 'too old'
    ? `; owned by ${node.user}, not ${config.subscriptionOwner}: PostgreSQL ${OWNER_SINCE - 1} lets only a superuser own a subscription`
    : `; owned by ${config.subscriptionOwner}`
}

/**
 * After the promote: each follower not on `target` yet drops its subscription to the old PRIMARY
 * and subscribes to `target` on the slot reserved for it inside the pause, a step for each moved.
 */
export async function followTarget(
  future: Config,
  target: OpenNode,
  followers: OpenNode[],
  password: string,
  steps: Steps,
): Promise<void> {
  await Promise.all([
    ...followers.map(n => follow(future, target, n, password, steps)),
    // The target's own subscription, disabled inside the pause: its slot on the old PRIMARY goes with it.
    dropSubscription(target.spec, false),
  ])
}

/** One follower moved from the old PRIMARY to the slot reserved for it on `target`, unless it is there already. */
async function follow(future: Config, target: OpenNode, n: OpenNode, password: string, steps: Steps): Promise<void> {
  if (await isSubscribedTo(n.sql, target.spec)) return
  await dropSubscription(n.spec, false)
  await readOnlyBeforeSubscribing(n.spec, n.sql)
  const options = await subscribeTo(future, target.sql, n.spec, n.sql, password, 'reserved')
  steps.ok(
    `${n.spec.name}: subscribes to ${target.spec.name} on the slot reserved before it took writes (copy_data = false, ${options})`,
    true,
  )
}

/** Undoes reserveSlot on a node that stays a replica: the slots named after the other nodes' subscriptions. */
export const revertReservedSlots = (node: NodeSpec, others: NodeSpec[]) =>
  sqlFile(node, '095_revert_reserve_slot.sql', { slots: others.map(subscriptionName).join(',') }, false)

/** Every node, one connection each, kept open for the whole switchover (never idle-closed). */
export const openAll = (config: Config): Promise<OpenNode[]> =>
  openNodes([config.primary, ...config.replicas], { max: 1, idleTimeoutSeconds: 0 })

/**
 * Before the fence, under live writes: every table equal on every node at an LSN each replica had
 * applied (compare/at-lsn.ts, as make check compares), so the pause need not scan the tables.
 * Throws naming what differs or never held still; nothing has changed then.
 */
export async function proveEqualBeforeFence(config: Config, nodes: OpenNode[], timeoutMs: number): Promise<void> {
  const [primary, ...rest] = nodes
  const replicas = rest.map(n => ({ ...n, subscription: subscriptionName(n.spec) }))
  const problems: string[] = []
  for (const table of config.tables) {
    const compared = await compareTable(primary, replicas, table, {
      rows: false,
      timeoutMs,
      publication: config.publication,
    })
    for (const r of compared.replicas.filter(r => r.state !== 'equal'))
      problems.push(`${table} on ${r.name} ${r.state === 'differs' ? 'differs' : 'kept changing in every round'}`)
  }
  if (problems.length)
    throw new ReplkitError(
      `not every table equals the PRIMARY's at an LSN the replicas reached: ${problems.join(', ')}; nothing was changed (make check ARGS="--diff TABLE" names the rows, make sync repairs them)`,
      EXIT.failed,
    )
}

/** Each replica's subscription counters (apply errors, 18's conflicts): any change after the proof is a change the proof did not see. */
export async function applyCounters(nodes: OpenNode[]): Promise<string[]> {
  return Promise.all(
    nodes.slice(1).map(async n => {
      const [row] = await n.sql`
        select (to_jsonb(s) - 'subid' - 'subname' - 'stats_reset')::text as counters
        from pg_stat_subscription_stats s where subname = ${subscriptionName(n.spec)}`
      return `${n.spec.name} ${row?.counters ?? 'no subscription'}`
    }),
  )
}

/** The conninfo of the node's subscription of that name, or null. */
export async function subscriptionOn(sql: Sql, name: string): Promise<string | null> {
  const [row] = await sql`select subconninfo from pg_subscription where subname = ${name}`
  return row?.subconninfo ?? null
}

export async function isSubscribedTo(sql: Sql, node: NodeSpec): Promise<boolean> {
  const rows =
    await sql`select subconninfo from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())`
  return rows.some(r => pointsAt(r.subconninfo, node))
}
