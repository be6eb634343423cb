// Subscription state read from a replica's catalogues: per-table sync states, and the rows an
// operator needs when a subscription does not become ready.
import { sqlName } from '../table-name.js'
import type { Sql } from '../db.js'

export const READY_STATES = new Set(['r', 's'])

export async function tableStates(sql: Sql, subscription: string): Promise<{ table: string; state: string }[]> {
  return (await sql`
    select sr.srrelid::regclass::text as table, sr.srsubstate as state
    from pg_subscription_rel sr join pg_subscription s on s.oid = sr.srsubid
    where s.subname = ${subscription} order by 1`) as unknown as { table: string; state: string }[]
}

/** Those of the tables (schema public) that hold at least one row: a copy into them would collide. */
export async function tablesHoldingRows(sql: Sql, tables: string[]): Promise<string[]> {
  if (tables.length === 0) return []
  const probe = tables
    .map((_, i) => `select $${i + 1}::text as t where exists (select 1 from ${sqlName(tables[i])})`)
    .join(' union all ')
  return (await sql.unsafe(probe, tables)).map(r => r.t as string)
}

/** pg_subscription_rel, pg_stat_subscription and pg_stat_subscription_stats for one subscription. */
export async function subscriptionDiagnostics(sql: Sql, subscription: string): Promise<string> {
  const rel = await sql`
    select sr.srrelid::regclass::text as "table", sr.srsubstate as state, sr.srsublsn::text as lsn
    from pg_subscription_rel sr join pg_subscription s on s.oid = sr.srsubid where s.subname = ${subscription} order by 1`
  const stat = await sql`
    select subname, pid, relid::regclass::text as syncing_table, received_lsn::text, last_msg_receipt_time::text, latest_end_lsn::text
    from pg_stat_subscription where subname = ${subscription}`
  const stats =
    await sql`select subname, apply_error_count, sync_error_count, stats_reset::text from pg_stat_subscription_stats where subname = ${subscription}`
  return [
    show('pg_subscription_rel', rel),
    show('pg_stat_subscription', stat),
    show('pg_stat_subscription_stats', stats),
  ].join('\n')
}

/** The PRIMARY's side: each walsender's positions and each slot's, for the given subscriptions. */
export async function senderDiagnostics(primary: Sql, subscriptions: string[]): Promise<string> {
  const senders = await primary`
    select application_name, state, sent_lsn::text, replay_lsn::text, pg_current_wal_lsn()::text as current_lsn
    from pg_stat_replication where application_name = any(${subscriptions})`
  const slots = await primary`
    select slot_name, active, wal_status, confirmed_flush_lsn::text, restart_lsn::text
    from pg_replication_slots where slot_name = any(${subscriptions})`
  return [show('pg_stat_replication', senders), show('pg_replication_slots', slots)].join('\n')
}

const show = (title: string, rows: readonly Record<string, unknown>[]) =>
  `  ${title}:\n${rows.length ? rows.map(r => `    ${JSON.stringify(r)}`).join('\n') : '    (no rows)'}`
