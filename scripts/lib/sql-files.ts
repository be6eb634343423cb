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
  return [...(await sql.unsafe(text, params as never[]))]
}
