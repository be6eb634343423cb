// make rollback as a library call — the runbook's rollback plan in a safe order: subscriptions
// (and their slots) first, orphaned slots of unreachable replicas next, then the publication;
// wal_level only once no logical slot remains (or the server would refuse to start); the role
// only when asked. Re-running is harmless.
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked, withNode } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { runSqlFile } from '../sql-files.js'
import type { ServerAccess } from '../server-access.js'
import { Steps } from '../steps.js'
import { slotNames, subscriptionName } from './names.js'
import { revertReadOnly } from './read-only.js'

export interface TeardownOptions {
  dryRun: boolean
  revertWalLevel: boolean
  dropRole: boolean
  /** What replkit may do to the servers besides SQL (restart, pg_hba.conf): only to those it runs. */
  servers: ServerAccess
}

const file = (name: string) => `sql/rollback/${name}`

export async function teardown(config: Config, opts: TeardownOptions, steps = new Steps()): Promise<Steps> {
  const { dryRun } = opts
  const tryConnect = async (node: NodeSpec): Promise<Sql | undefined> => {
    try {
      return await connectChecked(node, { connectTimeoutSeconds: 3 })
    } catch (error) {
      steps.warn((error as Error).message)
      return undefined
    }
  }
  const primary = await tryConnect(config.primary)
  try {
    for (const replica of config.replicas) {
      const sql = await tryConnect(replica)
      await dropSubscription(config, replica, primary, sql, steps, dryRun)
      if (sql) await revertReadOnly(replica, steps, dryRun)
    }
    if (!primary)
      throw new ReplkitError(
        'primary unreachable: the publication and any slots on it remain; re-run make rollback when it is back',
        EXIT.failed,
      )

    const orphans =
      await primary`select slot_name from pg_replication_slots where slot_name = any(${config.replicas.flatMap(slotNames)}) and not active`
    for (const { slot_name } of orphans) {
      await runSqlFile(config.primary, file('020_revert_slot.sql'), { vars: { slot: slot_name }, dryRun })
      steps.ok(`primary: dropped orphaned slot ${slot_name}`, true)
    }

    const [pub] = await primary`select 1 from pg_publication where pubname = ${config.publication}`
    if (pub)
      await runSqlFile(config.primary, file('030_revert_publication.sql'), {
        vars: { publication: config.publication },
        dryRun,
      })
    steps.ok(
      pub ? `primary: dropped publication ${config.publication}` : `primary: no publication ${config.publication}`,
      Boolean(pub),
    )

    if (opts.dropRole) {
      const [role] = await primary`select 1 from pg_roles where rolname = ${config.replicatorUser}`
      if (role)
        await runSqlFile(config.primary, file('050_revert_role.sql'), { vars: { role: config.replicatorUser }, dryRun })
      const hbaChanged = opts.servers.owns(config.primary) && (await opts.servers.writeHba(config.primary, [], dryRun))
      steps.ok(
        `primary: role ${config.replicatorUser} ${role ? 'dropped' : 'absent'}${hbaChanged ? '; its pg_hba lines removed' : ''}`,
        Boolean(role) || hbaChanged,
      )
    }
    // Last: it restarts the PRIMARY.
    if (opts.revertWalLevel) await revertWalLevel(config, primary, opts, steps)
  } finally {
    await primary?.end()
  }
  return steps
}

async function dropSubscription(
  config: Config,
  replica: NodeSpec,
  primary: Sql | undefined,
  sql: Sql | undefined,
  steps: Steps,
  dryRun: boolean,
) {
  const subscription = subscriptionName(replica)
  if (!sql) {
    if (!primary) return
    for (const slot of await primary`select slot_name, active from pg_replication_slots where slot_name = any(${slotNames(replica)})`) {
      if (slot.active) {
        steps.fail(
          `${replica.name} is unreachable but slot ${slot.slot_name} is still active on the PRIMARY; left alone`,
        )
        continue
      }
      await runSqlFile(config.primary, file('020_revert_slot.sql'), { vars: { slot: slot.slot_name }, dryRun })
      steps.ok(
        `primary: dropped slot ${slot.slot_name} of unreachable ${replica.name} (its subscription must be dropped there once it is back)`,
        true,
      )
    }
    return
  }
  const [sub] = await sql`select subslotname from pg_subscription where subname = ${subscription}`
  await sql.end()
  if (!sub) return steps.ok(`${replica.name}: no subscription ${subscription}`, false)
  // DROP SUBSCRIPTION drops the remote slot too, and fails when it cannot: detach it first
  // when the PRIMARY is unreachable or the slot is already gone there.
  const slotThere =
    primary && (await primary`select 1 from pg_replication_slots where slot_name = ${sub.subslotname}`).length > 0
  await runSqlFile(replica, file(slotThere ? '010_revert_subscription.sql' : '015_revert_subscription_slot_gone.sql'), {
    vars: { subscription },
    dryRun,
  })
  steps.ok(
    slotThere
      ? `${replica.name}: dropped ${subscription} and its slot on the PRIMARY`
      : primary
        ? `${replica.name}: dropped ${subscription} (its slot was already gone from the PRIMARY)`
        : `${replica.name}: dropped ${subscription}; the PRIMARY is unreachable, so its slot ${sub.subslotname} remains there — re-run make rollback when it is back`,
    true,
  )
}

async function revertWalLevel(config: Config, primary: Sql, opts: TeardownOptions, steps: Steps) {
  const { dryRun } = opts
  const slots = await primary`select slot_name from pg_replication_slots where slot_type = 'logical'`
  const dropped = dryRun ? config.replicas.map(subscriptionName) : []
  const left = slots.map(s => s.slot_name as string).filter(s => !dropped.includes(s))
  if (left.length) {
    steps.fail(
      `primary: wal_level left at logical: logical slot(s) ${left.join(', ')} remain, and the server would refuse to start without logical WAL`,
    )
    return
  }
  const [{ wal_level, auto }] = await primary`
    select current_setting('wal_level') as wal_level,
           exists (select 1 from pg_file_settings where name = 'wal_level' and sourcefile like '%postgresql.auto.conf') as auto`
  if (!auto && wal_level !== 'logical') return steps.ok(`primary: wal_level = ${wal_level}`, false)
  await runSqlFile(config.primary, file('040_revert_wal_level.sql'), { dryRun })
  if (dryRun) return steps.ok('primary: would reset wal_level and restart', true)
  if (!opts.servers.owns(config.primary)) {
    steps.warn(
      'primary: wal_level reset in postgresql.auto.conf; restart the server to apply it (e.g. "sudo systemctl restart postgresql")',
    )
    return
  }
  await primary.end() // the restart would cut it; teardown's finally ends it again harmlessly
  await opts.servers.restart(config.primary)
  const [{ wal_level: now }] = await withNode(config.primary, sql => sql`show wal_level`)
  steps.ok(`primary: wal_level reset and restarted (SHOW wal_level = ${now})`, true)
}
