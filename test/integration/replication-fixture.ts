// Test fixture: minimal, idempotent logical replication on the local cluster, so check tests
// can reach each state. Kept to three calls so it can be swapped for make replicate / rollback.
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { withNode } from '../../scripts/lib/db.js'
import { subscriptionName } from '../../scripts/lib/check-verdicts.js'
import { config, until } from './helpers.js'

const tsx = `${repoRoot}/node_modules/.bin/tsx`

/** wal_level = logical (restarting the PRIMARY if needed), the publication, one subscription per replica. */
export async function ensureReplication(): Promise<void> {
  const { primary } = config
  const walLevel = await withNode(primary, async sql => {
    const [{ wal_level }] = await sql`select current_setting('wal_level') as wal_level`
    if (wal_level !== 'logical') await sql`alter system set wal_level = logical`
    const [{ n }] = await sql`select count(*)::int as n from pg_publication where pubname = ${config.publication}`
    if (n === 0) await sql.unsafe(`create publication ${config.publication} for table ${config.tables.map(t => `public.${t}`).join(', ')}`)
    return wal_level
  })
  if (walLevel !== 'logical') await $({ cwd: repoRoot, quiet: true })`${tsx} scripts/cluster.ts restart primary`
  const conninfo = `host=${primary.host} port=${primary.port} dbname=${primary.database} user=${primary.user} password=${primary.password}`
  await Promise.all(config.replicas.map(replica => withNode(replica, async sql => {
    const name = subscriptionName(replica.name)
    const [{ n }] = await sql`select count(*)::int as n from pg_subscription where subname = ${name}`
    if (n === 0) {
      // Leftover rows from an earlier state would collide with the initial copy.
      await sql.unsafe(`truncate ${config.tables.map(t => `public.${t}`).join(', ')}`)
      await sql.unsafe(`create subscription ${name} connection '${conninfo}' publication ${config.publication} with (copy_data = true)`)
    }
  })))
  await waitForCatchup()
}

/** Every table ready on every replica, and every replica has applied all the PRIMARY's WAL. */
export async function waitForCatchup(timeoutMs = 20_000): Promise<void> {
  await Promise.all(config.replicas.map(replica => withNode(replica, sql => until(`${replica.name}'s tables to be ready`, timeoutMs, async () => {
    const [{ pending }] = await sql`
      select count(*)::int as pending from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid
      where s.subname = ${subscriptionName(replica.name)} and r.srsubstate <> 'r'`
    return pending === 0
  }))))
  await withNode(config.primary, async sql => {
    const [{ lsn }] = await sql`select pg_current_wal_lsn()::text as lsn`
    await until('the replicas to confirm the PRIMARY\'s WAL', timeoutMs, async () => {
      const rows = await sql`
        select count(*)::int as n from pg_stat_replication
        where application_name = any(${config.replicas.map(r => subscriptionName(r.name))}) and replay_lsn >= ${lsn}::pg_lsn`
      return rows[0].n === config.replicas.length
    })
  })
}

/**
 * The state before replication: subscriptions dropped (which drops their slots), then the
 * publication, empty replicas, and wal_level back to its default (slots first, or the PRIMARY
 * would refuse to start).
 */
export async function removeReplication(): Promise<void> {
  await Promise.all(config.replicas.map(replica => withNode(replica, async sql => {
    await sql.unsafe(`drop subscription if exists ${subscriptionName(replica.name)}`)
    await sql.unsafe(`truncate ${config.tables.map(t => `public.${t}`).join(', ')}`)
  })))
  const walLevel = await withNode(config.primary, async sql => {
    await sql.unsafe(`drop publication if exists ${config.publication}`)
    await sql`alter system reset wal_level`
    const [{ wal_level }] = await sql`select current_setting('wal_level') as wal_level`
    return wal_level
  })
  if (walLevel !== 'replica') await $({ cwd: repoRoot, quiet: true })`${tsx} scripts/cluster.ts restart primary`
}
