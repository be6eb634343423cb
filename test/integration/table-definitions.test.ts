// A replica that lacks tables gets the PRIMARY's own definitions of them (not sql/schema): read
// from the PRIMARY's catalogue, created on the replica in one transaction. Proven by the
// catalogue of both sides (columns, constraints, indexes, replica identity, owned sequences),
// by a refusal that creates nothing, and by make replicate giving a new replica a column the
// PRIMARY has and sql/schema does not.
import { sqlName } from '../../scripts/lib/table-name.js'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { serverAccess } from '../../scripts/lib/cluster/access.js'
import type { Config } from '../../scripts/lib/config.js'
import { type Sql, withNode } from '../../scripts/lib/db.js'
import { replicate } from '../../scripts/lib/replication/replicate.js'
import { copyInOneTransaction } from '../../scripts/lib/sync/replace.js'
import { createTables, tableDefinitions } from '../../scripts/lib/replication/table-definitions.js'
import { Steps } from '../../scripts/lib/steps.js'
import { config, db } from './helpers.js'
import { ensureReplication, waitForCatchup } from './replication-fixture.js'

const definitions = suite("the PRIMARY's table definitions")
const [replica1, replica2] = config.replicas
const primary = db()
const onReplica1 = db(replica1)

/** As replkit names them (regclass text with search_path = public). */
const TABLES = ['replkit_defs_parent', '"Replkit Defs ""Mixed"""']
const drop = (sql: Sql) =>
  sql.unsafe(
    `drop table if exists public."Replkit Defs ""Mixed""", public.replkit_defs_parent cascade; drop type if exists public.replkit_defs_mood`,
  )

/** Everything the definitions carry, as the catalogue of one node reads it. */
const signature = async (sql: Sql, table: string) =>
  JSON.stringify(
    await sql`
    select (select json_agg(json_build_object('name', attname, 'type', format_type(atttypid, atttypmod), 'notnull', attnotnull,
              'identity', attidentity, 'generated', attgenerated, 'collation', attcollation::regcollation::text,
              'default', pg_get_expr(adbin, adrelid)) order by attnum)
              from pg_attribute left join pg_attrdef on adrelid = attrelid and adnum = attnum
             where attrelid = c.oid and attnum > 0 and not attisdropped) as columns,
           (select json_agg(conname || ' ' || pg_get_constraintdef(oid) order by conname)
              from pg_constraint where conrelid = c.oid and contype <> 'n') as constraints,
           (select json_agg(pg_get_indexdef(indexrelid) order by pg_get_indexdef(indexrelid))
              from pg_index where indrelid = c.oid) as indexes,
           c.relreplident as identity,
           (select json_agg(s.seqrelid::regclass::text || ' ' || seqstart || ' ' || seqincrement)
              from pg_depend d join pg_sequence s on s.seqrelid = d.objid
             where d.refobjid = c.oid and d.deptype in ('a', 'i')) as sequences
      from pg_class c where c.oid = ${sqlName(table)}::regclass`,
  )

definitions.before(async () => {
  await ensureReplication()
  await waitForCatchup()
})

definitions.after(async () => {
  await drop(primary).catch(() => {})
  await drop(onReplica1).catch(() => {})
  await Promise.all([primary.end(), onReplica1.end()])
})

definitions(
  'every kind of column, key, check, index and identity is created on the replica as the PRIMARY has it',
  async () => {
    await drop(primary)
    await drop(onReplica1)
    await primary.unsafe(`
      create table public.replkit_defs_parent (
        id bigserial primary key,
        code text collate "C" not null,
        price numeric(12,2) not null default 0 check (price >= 0),
        tags text[] not null default '{}',
        category_id uuid references public.categories (id),
        constraint replkit_defs_code_unique unique (code),
        constraint replkit_defs_no_twin exclude using btree (price with =) where (price > 1000)
      );
      create index replkit_defs_lower_code on public.replkit_defs_parent (lower(code)) where price > 0;
      create table public."Replkit Defs ""Mixed""" (
        "Id" int generated always as identity (start with 100 increment by 5) primary key,
        parent bigint not null references public.replkit_defs_parent (id) on delete cascade,
        "twice price" numeric generated always as (parent * 2) stored,
        note varchar(40)
      );
      alter table public."Replkit Defs ""Mixed""" replica identity full;`)
    const defs = await tableDefinitions(primary, TABLES)
    await createTables(replica1, onReplica1, defs)
    for (const table of TABLES) assert.is(await signature(onReplica1, table), await signature(primary, table), table)
  },
)

definitions('a definition the replica refuses: named with the statement, and nothing is created', async () => {
  await drop(primary)
  await drop(onReplica1)
  await primary.unsafe(`
    create type public.replkit_defs_mood as enum ('calm', 'busy');
    create table public.replkit_defs_parent (id bigint primary key);
    create table public."Replkit Defs ""Mixed""" (id int primary key, mood public.replkit_defs_mood);`)
  const defs = await tableDefinitions(primary, TABLES)
  try {
    await createTables(replica1, onReplica1, defs)
    assert.unreachable('the replica has no type replkit_defs_mood')
  } catch (error) {
    assert.match(
      (error as Error).message,
      /^replica1: the PRIMARY's definition of "Replkit Defs ""Mixed""" was refused there: type "public\.replkit_defs_mood" does not exist \(in: CREATE TABLE .*\); nothing was created \(one transaction\)$/,
    )
  }
  const [left] =
    await onReplica1`select count(*)::int as n from pg_class where relname like 'replkit_defs%' or relname like 'Replkit Defs%'`
  assert.is(left.n, 0)
})

definitions(
  "make replicate gives a new replica the PRIMARY's current tables (a column sql/schema lacks), copies its rows, and it applies",
  async () => {
    // The new replica: a database of its own on replica2's server, with nothing in it.
    const fresh = { ...replica2, name: 'replica9', database: 'replkit_new_replica' }
    const admin = { ...replica2, database: 'postgres' }
    const newConfig: Config = { ...config, replicas: [fresh] }
    await withNode(admin, sql => sql.unsafe('drop database if exists replkit_new_replica with (force)'))
    await withNode(admin, sql => sql.unsafe('create database replkit_new_replica'))
    await primary.unsafe("alter table public.products add column replkit_defs_colour text default 'blue'")
    try {
      const { steps } = await replicate(
        newConfig,
        {
          dryRun: false,
          timeoutMs: 60_000,
          truncateReplicas: false,
          copyInOneTransaction,
          servers: serverAccess(newConfig),
        },
        new Steps(true),
      )
      assert.is(steps.failed, 0, steps.lines.join('\n'))
      assert.ok(
        steps.lines.some(l => /replica9: created categories, products, .* from the PRIMARY's definitions/.test(l)),
        steps.lines.join('\n'),
      )
      await withNode(fresh, async sql => {
        assert.is(await signature(sql, 'products'), await signature(primary, 'products'))
        const [{ n }] = await sql`select count(*)::int as n from public.products where replkit_defs_colour = 'blue'`
        const [{ all }] = await primary`select count(*)::int as all from public.products`
        assert.is(n, all, 'every product copied with the new column')
      })
    } finally {
      await withNode(fresh, sql => sql.unsafe('drop subscription if exists sub_replica9')).catch(() => {})
      await withNode(admin, sql => sql.unsafe('drop database if exists replkit_new_replica with (force)'))
      await primary.unsafe('alter table public.products drop column if exists replkit_defs_colour')
    }
  },
)

definitions.run()
