// Undoing a switchover: every node subscribes to the old PRIMARY again and it takes writes
// (rollBack), and the next run's repair of a switch a crash left part-way (recover).
import { type OpenNode, closeAll } from '../node.js'
import type { Config, NodeSpec } from '../config.js'
import { allNodes, findNode } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { pointClientsAt, resumeClients } from '../pgbouncer.js'
import { checkQuery, queryFile, runSqlFile } from '../sql-files.js'
import type { Steps } from '../steps.js'
import { subscriptionName } from '../replication/names.js'
import { replicatorPassword } from '../replication/password.js'
import { pointsAt, swapRoles } from '../replication/roles.js'
import { waitForCatchup } from '../replication/waits.js'
import { fenceMarkers } from './markers.js'
import {
  dropSubscription,
  followTarget,
  isSubscribedTo,
  openAll,
  revertReservedSlots,
  sqlFile,
  subscribeTo,
  subscriptionOn,
} from './nodes.js'

/**
 * Back to the roles before the switch: every node subscribes to `primary` again (from this
 * point: nobody has written since the fence), `primary` takes writes. Safe at any step before
 * the target took writes. A node that cannot be reached is named with what to do.
 */
export async function rollBack(config: Config, primary: NodeSpec, steps: Steps): Promise<void> {
  const password = await replicatorPassword(config)
  const old = swapRoles(config, primary)
  const [p, ...others] = await Promise.all(
    [old.primary, ...old.replicas].map(async spec => ({
      spec,
      sql: await connectChecked(spec, { max: 1 }).catch(() => null),
    })),
  )
  if (!p.sql)
    throw new ReplkitError(
      `${primary.name} cannot be reached to lift its fence: start it, then run make switchover again`,
      EXIT.failed,
    )
  try {
    if (await subscriptionOn(p.sql, subscriptionName(p.spec))) {
      await dropSubscription(p.spec, false)
      steps.ok(`${p.spec.name}: dropped its new subscription`, true)
    }
    for (const n of others) await resubscribe(config, old, { spec: p.spec, sql: p.sql }, n, password, steps)
    await sqlFile(p.spec, '090_revert_fence.sql', {}, false)
    steps.ok(`${p.spec.name}: takes writes again (fence lifted)`, true)
    // A subscription created again streams only once its worker starts (every
    // wal_retrieve_retry_interval, 5 s by default): the rollback is done when every replica streams.
    const streaming = others.filter(n => n.sql).map(n => subscriptionName(n.spec))
    await waitForCatchup(p.sql, streaming, ROLLBACK_STREAMING_MS)
    steps.verify(`${streaming.join(', ')} stream from ${p.spec.name} again`)
  } finally {
    await Promise.all([p, ...others].map(n => n.sql?.end({ timeout: 1 })))
  }
}

type Reached = { spec: NodeSpec; sql: Sql }

/** One node back under the old PRIMARY: its reserved slots dropped, its subscription enabled or made again. */
async function resubscribe(
  config: Config,
  old: Config,
  p: Reached,
  n: { spec: NodeSpec; sql: Sql | null },
  password: string,
  steps: Steps,
): Promise<void> {
  if (!n.sql) {
    steps.warn(
      `${n.spec.name} cannot be reached: when it is back, resync it: make sync ARGS="--replica ${n.spec.name} --yes"`,
    )
    return
  }
  // Slots the pause reserved here for a switch that did not happen would retain WAL forever.
  await revertReservedSlots(
    n.spec,
    allNodes(config).filter(x => x.name !== n.spec.name),
  )
  const sub = await subscriptionOn(n.sql, subscriptionName(n.spec))
  if (sub && pointsAt(sub, p.spec)) {
    // The target's, disabled inside the pause: it applies from where it stopped.
    await n.sql`alter subscription ${n.sql(subscriptionName(n.spec))} enable`
    return
  }
  if (sub) {
    await dropSubscription(n.spec, false).catch(async () => {
      // Its new upstream is gone: detach the slot there instead of dropping it.
      await runSqlFile(n.spec, 'sql/rollback/015_revert_subscription_slot_gone.sql', {
        vars: { subscription: subscriptionName(n.spec) },
        dryRun: false,
      })
      steps.warn(
        `${n.spec.name}: its slot ${subscriptionName(n.spec)} stays on the unreachable node it had moved to: drop it there with SELECT pg_drop_replication_slot('${subscriptionName(n.spec)}')`,
      )
    })
  }
  const options = await subscribeTo(old, p.sql, n.spec, n.sql, password, 'now')
  steps.ok(`${n.spec.name}: subscribes to ${p.spec.name} again from this point (copy_data = false, ${options})`, true)
}

/** How long a rollback waits for the replicas it subscribed again to stream. */
const ROLLBACK_STREAMING_MS = 60_000

/**
 * A switch a crash left part-way: the fence's marker is still on the old PRIMARY. Once the target
 * took writes (promoted) or every other node subscribes to it, finish it (each node moves to the
 * slot reserved for it, demote); otherwise undo it.
 */
export async function recover(config: Config, steps: Steps, dryRun: boolean): Promise<boolean> {
  const marked = await fenceMarkers(config)
  if (!marked.length) return false
  const [{ node, marker }] = marked
  if (dryRun) {
    steps.warn(
      `${node.name} carries the marker of an unfinished switchover to ${marker.to} (${marker.at}): a real run finishes or undoes it first`,
    )
    return false
  }
  const target = findNode(config, marker.to)
  const nodes = await openAll(config)
  try {
    const t = nodes.find(n => n.spec.name === target.name)!
    const followers = nodes.filter(n => n !== t)
    const moved = await Promise.all(followers.map(n => isSubscribedTo(n.sql, target)))
    if (moved.every(Boolean) || (await tookWrites(t))) {
      await queryFile(t.sql, 'sql/switchover/030_promote.sql')
      const future = swapRoles(config, target)
      const password = await replicatorPassword(config)
      await followTarget(future, t, followers, password, steps)
      await sqlFile(node, '040_demote.sql', { publication: config.publication }, false)
      await releaseClients(config, target)
      steps.ok(
        `finished the switchover to ${marker.to} that stopped part-way (${marker.at}): ${marker.to} is the PRIMARY`,
        true,
      )
    } else {
      await closeAll(nodes)
      await rollBack(swapRoles(config, node), node, steps)
      await releaseClients(config, node)
      steps.ok(
        `undid the switchover to ${marker.to} that stopped part-way (${marker.at}): ${node.name} is the PRIMARY again`,
        true,
      )
    }
    return true
  } finally {
    await closeAll(nodes)
  }
}

/**
 * The target was promoted (030_promote.sql): its database is no longer read-only for clients (as
 * make check reads it, sql/check/node.sql) and no subscription applies there.
 */
async function tookWrites(t: OpenNode): Promise<boolean> {
  const [node] = await checkQuery(t.sql, 'node.sql')
  const [{ subscribed }] = await t.sql`
    select exists (select from pg_subscription
                   where subdbid = (select oid from pg_database where datname = current_database()) and subenabled) as subscribed`
  return !node.read_only_for_clients && !subscribed
}

/** After a crash part-way, PgBouncer may still hold its clients: point it at the PRIMARY and resume. */
export async function releaseClients(config: Config, primary: NodeSpec): Promise<void> {
  if (!config.pgbouncer) return
  await pointClientsAt(config.pgbouncer, primary, primary)
  // RESUME of a database that is not paused is an error there, and harmless.
  await resumeClients(config.pgbouncer, primary).catch(() => {})
}
