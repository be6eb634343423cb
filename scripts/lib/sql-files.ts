// The one SQL loader. Versioned SQL files run through psql — or, under --dry-run, printed per node
// with their variables (secrets shown as <secret>), so the operator sees exactly what would run —
// and read-only queries (sql/check) read once and run through the driver.
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { type NodeSpec, repoRoot } from './config.js'
import { type Sql, majorOf, serverVersionNum } from './db.js'
import { psql } from './psql.js'
import { dryRunSql } from './output.js'

export interface SqlFileRun {
  vars?: Record<string, string>
  secretVars?: Record<string, string>
  dryRun: boolean
}

export async function runSqlFile(node: NodeSpec, path: string, run: SqlFileRun): Promise<void> {
  const file = join(repoRoot, path)
  if (run.dryRun) {
    const secrets = Object.fromEntries(Object.keys(run.secretVars ?? {}).map(k => [k, '<secret>']))
    const vars = Object.entries({ ...run.vars, ...secrets })
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')
    dryRunSql.print(
      `-- ${node.name}: ${relative(repoRoot, file)}${vars ? `  (${vars})` : ''}\n${(await sqlText(path)).trim().replace(/^/gm, '   ')}`,
    )
    return
  }
  await psql(node, { files: [file], vars: run.vars, secretVars: run.secretVars })
}

const texts = new Map<string, Promise<string>>()

/** A SQL file's text (repo-relative path), read once per process. */
export function sqlText(path: string): Promise<string> {
  if (!texts.has(path)) texts.set(path, readFile(join(repoRoot, path), 'utf8'))
  return texts.get(path)!
}

const SINCE = /--\s*since (\d+)\s*$/

/**
 * A query's text for one major: a line that ends in `-- since 17` reads a catalogue column that
 * PostgreSQL 17 added, and is dropped on older servers. Chosen by server_version_num, not by
 * trying and catching.
 */
export function forMajor(text: string, major: number): string {
  return text
    .split('\n')
    .filter(line => {
      const since = SINCE.exec(line)
      return !since || major >= Number(since[1])
    })
    .join('\n')
}

/**
 * Views PostgreSQL keeps from roles without superuser (or a GRANT), which make check reads where
 * it may: each with the function behind it (a GRANT must cover both).
 */
export const GUARDED_VIEWS = {
  pg_replication_origin_status: 'pg_show_replication_origin_status()',
  pg_hba_file_rules: 'pg_hba_file_rules()',
  pg_file_settings: 'pg_show_all_file_settings()',
} as const
export type GuardedView = keyof typeof GUARDED_VIEWS

const readableCache = new WeakMap<Sql, Promise<Set<GuardedView>>>()

/** The guarded views this session's role may read (a superuser: all), asked once per connection. */
export function readableViews(sql: Sql): Promise<Set<GuardedView>> {
  let readable = readableCache.get(sql)
  if (!readable) {
    const views = Object.keys(GUARDED_VIEWS) as GuardedView[]
    readable = sql`
      select v.name from unnest(${views}::text[], ${Object.values(GUARDED_VIEWS)}::text[]) as v(name, fn)
      where has_table_privilege(v.name, 'SELECT') and has_function_privilege(v.fn, 'EXECUTE')`.then(
      rows => new Set(rows.map(r => r.name as GuardedView)),
    )
    readableCache.set(sql, readable)
  }
  return readable
}

const NEEDS = /--\s*needs (\w+)\s*$/

/**
 * A query's text for what this role may read: a line that ends in `-- needs pg_hba_file_rules`
 * reads a guarded view and is dropped where the role may not (its column is then absent, and
 * make check says what it could not see). PostgreSQL checks a view's privilege when the query
 * starts, even in a CASE branch never taken, so the line must go, not be skipped at run time.
 */
export function forRole(text: string, readable: Set<GuardedView>): string {
  return text
    .split('\n')
    .filter(line => {
      const needs = NEEDS.exec(line)
      return !needs || readable.has(needs[1] as GuardedView)
    })
    .join('\n')
}

/** A read-only query of sql/check with $1… parameters, through the driver, for the server's major. */
// biome-ignore lint/suspicious/noExplicitAny: a catalogue row's columns are typed where facts.ts maps them.
export function checkQuery(sql: Sql, name: string, params: unknown[] = []): Promise<Record<string, any>[]> {
  return queryFile(sql, `sql/check/${name}`, params)
}

/**
 * One statement of a SQL file (repo-relative path) with $1… parameters, through an open
 * connection: for a step where a psql process of its own would cost more than the step.
 */
// biome-ignore lint/suspicious/noExplicitAny: a row's columns are typed where the caller maps them.
export async function queryFile(sql: Sql, path: string, params: unknown[] = []): Promise<Record<string, any>[]> {
  const text = forMajor(await sqlText(path), majorOf(await serverVersionNum(sql)))
  const guarded = text.split('\n').some(line => NEEDS.test(line))
  const runnable = guarded ? forRole(text, await readableViews(sql)) : text
  return [...(await sql.unsafe(runnable, params as never[]))]
}
