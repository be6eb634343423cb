// Which object on the replica refused a copy, named from the server's own error and the
// catalogues, with the fix for that object. An error no rule recognises is quoted verbatim and
// called "not a known cause".
import type { Sql } from '../db.js'
import {
  type ServerError,
  classifyServerError,
  contextCopyTable,
  contextFunction,
  verbatim,
} from '../replication/server-error.js'
import { walSenderUse } from '../replication/wal-senders.js'

export interface Refusal {
  /** What refused the rows, e.g. "trigger no_orders on public.orders (function public.no_orders(), ENABLE ALWAYS)". */
  object: string
  fix: string
}

const qualified = (e: ServerError) => (e.table ? `${e.schema ?? 'public'}.${e.table}` : contextCopyTable(e.context))

/** The trigger whose function the CONTEXT names, on the table the COPY was writing. */
async function trigger(replica: Sql, e: ServerError, R: string): Promise<Refusal> {
  const fn = contextFunction(e.context)!
  const table = contextCopyTable(e.context) ?? qualified(e)
  const [t] = await replica`
    select t.tgname as name, t.tgrelid::regclass::text as tbl, t.tgfoid::regprocedure::text as fn,
           case t.tgenabled when 'A' then 'ENABLE ALWAYS' when 'R' then 'ENABLE REPLICA' else 'enabled' end as mode
      from pg_trigger t join pg_proc p on p.oid = t.tgfoid
     where not t.tgisinternal and p.proname = ${fn.split('.').pop()!.replaceAll('"', '')}
       and (${table}::text is null or t.tgrelid = to_regclass(${table}))
     order by t.tgenabled = 'A' desc limit 1`
  if (!t)
    return {
      object: `function ${fn}, called while copying ${table ?? 'a table'}`,
      fix: `fix or remove what calls ${fn} on ${R}`,
    }
  return {
    object: `trigger ${t.name} on ${t.tbl} (function ${t.fn}, ${t.mode}: it fires for replicated rows too)`,
    fix: `on ${R}: fix ${t.fn}, or ALTER TABLE ${t.tbl} DISABLE TRIGGER ${t.name}; then run the same command again`,
  }
}

const KINDS: Record<string, string> = {
  c: 'CHECK constraint',
  u: 'UNIQUE constraint',
  p: 'PRIMARY KEY',
  f: 'FOREIGN KEY',
  x: 'EXCLUDE constraint',
  n: 'NOT NULL constraint',
}

/** A constraint or unique index that refused rows: which kind, and is it the replica's alone? */
async function constraint(primary: Sql, replica: Sql, e: ServerError, R: string): Promise<Refusal> {
  const table = qualified(e) ?? '?'
  if (!e.constraint) {
    const column = e.column ? ` column ${e.column}` : ''
    return {
      object: `a constraint on ${table}${column}`,
      fix: `on ${R}: make ${table}${column} accept the PRIMARY's rows (compare its definition with the PRIMARY's)`,
    }
  }
  const lookup = (sql: Sql) => sql`
    select contype::text as kind from pg_constraint where conname = ${e.constraint} and conrelid = to_regclass(${table})
    union all select 'index' from pg_indexes where indexname = ${e.constraint} and schemaname || '.' || tablename = ${table}`
  const [[mine], [theirs]] = await Promise.all([lookup(replica), lookup(primary)])
  const kind = mine ? (KINDS[mine.kind] ?? 'unique index') : 'constraint'
  const drop =
    mine?.kind === 'index'
      ? `DROP INDEX ${e.schema ?? 'public'}.${e.constraint}`
      : `ALTER TABLE ${table} DROP CONSTRAINT ${e.constraint}`
  return {
    object: `${kind} ${e.constraint} on ${table} (${theirs ? 'the PRIMARY has it too' : `${R} alone has it`})`,
    fix: theirs
      ? `the PRIMARY's rows satisfy ${e.constraint} there: compare its definition on ${R} with the PRIMARY's and align it`
      : `on ${R}: ${drop}; then run the same command again`,
  }
}

/** The subscription's replication connection refused: the PRIMARY's walsenders as they are now, and both ways out. */
async function publisherConnection(primary: Sql, e: ServerError, R: string): Promise<Refusal> {
  const s = await walSenderUse(primary)
  return {
    object: `${R}'s replication connection to the PRIMARY (${e.message})`,
    fix:
      `the PRIMARY now has ${s.used} of max_wal_senders = ${s.max} walsenders in use (pg_stat_replication lists them): ` +
      `if they are all taken, end one that is not needed or raise max_wal_senders on the PRIMARY (a restart); ` +
      `else let ${R} reach the PRIMARY as the subscription connects (host, pg_hba, the replication role's password, TLS); then run the same command again`,
  }
}

export async function explainRefusal(primary: Sql, replica: Sql, R: string, e: ServerError): Promise<Refusal> {
  const relation = /relation "([^"]+)"/.exec(e.message)?.[1] ?? qualified(e)
  switch (classifyServerError(e)) {
    case 'trigger':
      return trigger(replica, e, R)
    case 'constraint':
      return constraint(primary, replica, e, R)
    case 'missing-relation':
      return {
        object: `table ${relation}, which ${R} does not have`,
        fix: `make replicate creates it on ${R} from the PRIMARY's definition; then run the same command again`,
      }
    case 'missing-column':
      return {
        object: `a column ${R} lacks (${e.message})`,
        fix: `add it on ${R} as the PRIMARY defines it (make check prints the DDL); then run the same command again`,
      }
    case 'permission':
      return {
        object: `a privilege on ${R} (${e.message})`,
        fix: `grant it on ${R} to the role that copies; then run the same command again`,
      }
    case 'data':
      return {
        object: `a column type on ${relation ?? R} that cannot hold the PRIMARY's value`,
        fix: `align the column's type on ${R} with the PRIMARY's (make check prints the drift DDL)`,
      }
    case 'publisher-connection':
      return publisherConnection(primary, e, R)
    default:
      return { object: `not a known cause: ${verbatim(e)}`, fix: `read the error above; nothing was changed on ${R}` }
  }
}
