// The partition drill's extra replica: a node started inside its own network namespace and
// subscribed to the PRIMARY across a veth pair the drill can cut. Everything it changes — the
// namespace and veth, the node's data directory, the PRIMARY's listen_addresses and pg_hba line,
// the subscription and its slot — is undone by remove(), in reverse order, also after a setup
// that failed half-way; leftovers() then proves nothing stayed behind.
import { existsSync } from 'node:fs'
import { optionsBetween, subscriptionVars } from '../replication/options.js'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config, NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { type LocalNode, localNode, nodeState, restartNode, stopNode, upNode } from '../cluster/local-cluster.js'
import { type VethNetwork, createVethNetwork } from '../cluster/netns.js'
import { hbaLines } from '../replication/hba.js'
import { poll } from '../wait.js'
import { replicatorPassword } from '../replication/password.js'
import { subscriptionConninfo, subscriptionTarget } from '../replication/conninfo.js'
import { subscriptionName } from '../replication/names.js'
import { ensureSchema } from '../schema.js'
import { runSqlFile } from '../sql-files.js'
import { ensureLocalHba } from '../cluster/access.js'

const NAME = 'partition'
// The namespace has its own ports: nothing else can listen there.
const PORT = 5432

export interface PartitionReplica {
  spec: NodeSpec
  subscription: string
  net: VethNetwork
  /** Undoes every change, in reverse; tries them all, then throws once if any failed. */
  remove(): Promise<void>
}

/** Every change the drill made, undone in reverse; all are tried, then one error lists what failed. */
class Undo {
  private readonly steps: { what: string; run: () => Promise<unknown> }[] = []

  push(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run })
  }

  async all(): Promise<void> {
    const failed: string[] = []
    for (const step of this.steps.splice(0).reverse()) {
      await step
        .run()
        .catch(error => failed.push(`${step.what}: ${error instanceof Error ? error.message : String(error)}`))
    }
    if (failed.length) throw new ReplkitError(`partition drill cleanup incomplete: ${failed.join('; ')}`, EXIT.failed)
  }
}

/**
 * The node up inside the namespace with the shop schema and a subscription (copy_data = true)
 * to the PRIMARY at the veth's host address; or why this machine cannot have namespaces.
 */
export async function startPartitionReplica(
  config: Config,
  timeoutMs: number,
): Promise<PartitionReplica | { unavailable: string }> {
  const made = await createVethNetwork()
  if ('unavailable' in made) return made
  const { net } = made
  const undo = new Undo()
  undo.push(`remove ${net.namespace} and its veth pair`, () => net.remove())
  const node = nodeInNamespace(config, net)
  const subscription = subscriptionName(node.spec)
  try {
    await bringUp(config, node, undo)
    await exposePrimary(config, node.spec, net, undo)
    await subscribe(config, node, net, undo, timeoutMs)
  } catch (error) {
    await undo.all().catch(cleanup => {
      throw new ReplkitError(
        `${error instanceof Error ? error.message : String(error)}; and then ${cleanup.message}`,
        EXIT.failed,
      )
    })
    throw error
  }
  return { spec: node.spec, subscription, net, remove: () => undo.all() }
}

/** The drill's node: the PRIMARY's major, its own data directory, listening inside the namespace. */
function nodeInNamespace(config: Config, net: VethNetwork): LocalNode {
  const spec: NodeSpec = {
    ...config.primary,
    name: NAME,
    role: 'replica',
    host: net.nsAddress,
    port: PORT,
    label: `${config.primary.user}@${net.nsAddress}:${PORT}/${config.primary.database}`,
  }
  return {
    spec,
    major: localNode(config, config.primary).major,
    dataDir: join(config.clusterDir, NAME),
    logFile: join(config.clusterDir, `${NAME}.log`),
    netns: net.namespace,
    clientCidr: `${net.hostAddress}/32`,
  }
}

/** A fresh node (one left by a killed run is discarded first) with the schema and a short receiver timeout. */
async function bringUp(config: Config, node: LocalNode, undo: Undo): Promise<void> {
  undo.push(`stop ${NAME} and delete ${node.dataDir}`, () => discardNode(config, node))
  await discardNode(config, node)
  await upNode(config, node)
  await ensureSchema(node.spec)
  // Its receiver gives up on a silent PRIMARY after 5 s (PostgreSQL's default is 60 s), so it
  // reconnects soon after the heal; the node is the drill's alone and is deleted afterwards.
  await withNode(node.spec, async sql => {
    await sql`alter system set wal_receiver_timeout = '5s'`
    await sql`select pg_reload_conf()`
  })
}

/** The PRIMARY listening on the veth and admitting the replication role from the namespace (a restart). */
async function exposePrimary(config: Config, spec: NodeSpec, net: VethNetwork, undo: Undo): Promise<void> {
  // Alongside make replicate's lines (hbaLines puts every replica's address before the role's closing reject).
  const exposed = { ...config, replicas: [...config.replicas, spec] }
  undo.push("PRIMARY pg_hba.conf back to make replicate's lines", () =>
    ensureLocalHba(config, config.primary, hbaLines(config), false),
  )
  await ensureLocalHba(exposed, exposed.primary, hbaLines(exposed), false)
  const primary = localNode(config, config.primary)
  undo.push('PRIMARY listen_addresses reset and restart', async () => {
    await runSqlFile(config.primary, 'sql/chaos/020_revert_expose_on_veth.sql', { dryRun: false })
    await restartNode(config, primary)
  })
  await runSqlFile(config.primary, 'sql/chaos/010_expose_on_veth.sql', {
    vars: { address: net.hostAddress },
    dryRun: false,
  })
  await restartNode(config, primary)
}

/** Its subscription to the PRIMARY at the veth's host address, with the options make replicate would choose. */
async function subscribe(config: Config, node: LocalNode, net: VethNetwork, undo: Undo, timeoutMs: number) {
  const subscription = subscriptionName(node.spec)
  const target = { ...subscriptionTarget(config), host: net.hostAddress, port: config.primary.port }
  const conninfo = subscriptionConninfo(config, await replicatorPassword(config), target)
  undo.push(`drop ${subscription} and its slot`, () => dropSubscription(config, node, subscription, timeoutMs))
  const chosen = await withNode(config.primary, p => withNode(node.spec, r => optionsBetween(p, r, config.tables)))
  await runSqlFile(node.spec, 'sql/replication/050_subscription.sql', {
    vars: subscriptionVars(subscription, config.publication, chosen),
    secretVars: { conninfo },
    dryRun: false,
  })
}

async function discardNode(config: Config, node: LocalNode): Promise<void> {
  // A throwaway node: an immediate stop loses nothing anyone needs.
  if ((await nodeState(config, node)) === 'running') await stopNode(config, node, 'immediate')
  await rm(node.dataDir, { recursive: true, force: true })
}

/**
 * DROP SUBSCRIPTION drops the slot on the PRIMARY over the wire. When the node cannot (it is down
 * or cut off), stop it and drop the slot on the PRIMARY once its walsender has timed out.
 */
async function dropSubscription(
  config: Config,
  node: LocalNode,
  subscription: string,
  timeoutMs: number,
): Promise<void> {
  const dropped = await runSqlFile(node.spec, 'sql/rollback/010_revert_subscription.sql', {
    vars: { subscription },
    dryRun: false,
  }).then(
    () => true,
    () => false,
  )
  if (dropped) return
  await discardNode(config, node)
  const gone = await poll(
    async () => {
      await runSqlFile(config.primary, 'sql/rollback/020_revert_slot.sql', {
        vars: { slot: subscription },
        dryRun: false,
      })
      const [slot] = await withNode(
        config.primary,
        sql => sql`select 1 from pg_replication_slots where slot_name = ${subscription}`,
      )
      return slot ? undefined : true
    },
    timeoutMs,
    500,
  )
  if (!gone)
    throw new ReplkitError(
      `slot ${subscription} is still on the PRIMARY after ${timeoutMs / 1000} s; drop it with make rollback or pg_drop_replication_slot`,
    )
}

/** What remove() should have removed and did not; empty when the machine is as before. */
export async function leftovers(config: Config, replica: PartitionReplica): Promise<string[]> {
  const found: string[] = []
  if (await replica.net.exists()) found.push(`namespace ${replica.net.namespace} or its veth`)
  if (existsSync(join(config.clusterDir, NAME))) found.push(`data directory ${join(config.clusterDir, NAME)}`)
  await withNode(config.primary, async sql => {
    const [slot] = await sql`select 1 from pg_replication_slots where slot_name = ${replica.subscription}`
    if (slot) found.push(`slot ${replica.subscription} on the PRIMARY`)
    const [{ listen }] = await sql`select current_setting('listen_addresses') as listen`
    if (listen.includes(replica.net.hostAddress)) found.push(`PRIMARY listen_addresses = '${listen}'`)
    const [hba] = await sql`select 1 from pg_hba_file_rules where address = ${replica.spec.host}`
    if (hba) found.push(`a PRIMARY pg_hba.conf line for ${replica.spec.host}`)
  })
  return found
}
