// Versioned schema files, applied per node: DDL is not replicated, so every node needs the same
// schema. A file is applied once, in one transaction with its record in replkit.schema_migrations.
import { dryRunSql } from './output.js'
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { type Config, type NodeSpec, allNodes, repoRoot } from './config.js'
import { type Sql, withNode } from './db.js'
import { psql } from './psql.js'
import { sqlText } from './sql-files.js'

export const schemaDir = join(repoRoot, 'sql/schema')

export interface SchemaFile {
  version: string
  path: string
  sha256: string
}

export interface SchemaStep extends SchemaFile {
  state: 'pending' | 'applied' | 'changed'
}

export async function schemaFiles(dir = schemaDir): Promise<SchemaFile[]> {
  const names = (await readdir(dir)).filter(n => /^\d+_.+\.sql$/.test(n)).sort()
  return Promise.all(
    names.map(async name => {
      const path = join(dir, name)
      return {
        version: basename(name, '.sql'),
        path,
        sha256: createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      }
    }),
  )
}

/**
 * What the node has applied, compared with the files on disk. A file applied whose views in
 * replkit's schema are gone (a DROP TABLE … CASCADE of a table they read takes them) is pending
 * again: its CREATE OR REPLACE VIEW runs again.
 */
export async function schemaPlan(sql: Sql, files: SchemaFile[]): Promise<SchemaStep[]> {
  const [{ tracked }] = await sql`select to_regclass('replkit.schema_migrations') is not null as tracked`
  const applied = new Map<string, string>()
  if (tracked) {
    for (const row of await sql`select version, sha256 from replkit.schema_migrations`)
      applied.set(row.version, row.sha256)
  }
  return Promise.all(
    files.map(async (f): Promise<SchemaStep> => {
      if (!applied.has(f.version) || (await lostViews(sql, f))) return { ...f, state: 'pending' }
      return { ...f, state: applied.get(f.version) === f.sha256 ? 'applied' : 'changed' }
    }),
  )
}

async function lostViews(sql: Sql, f: SchemaFile): Promise<boolean> {
  const views = [
    ...(await sqlText(relative(repoRoot, f.path))).matchAll(/CREATE OR REPLACE VIEW (replkit\.\w+)/gi),
  ].map(m => m[1])
  if (!views.length) return false
  const [{ lost }] =
    await sql`select count(*) filter (where to_regclass(v) is null)::int as lost from unnest(${views}::text[]) v`
  return lost > 0
}

export async function applySchemaFile(node: NodeSpec, file: SchemaFile): Promise<void> {
  await psql(node, {
    singleTransaction: true,
    files: [file.path],
    commands: [
      `INSERT INTO replkit.schema_migrations (version, sha256) VALUES ('${file.version}', '${file.sha256}') ` +
        `ON CONFLICT (version) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()`,
    ],
  })
}

export interface NodeSchema {
  node: string
  /** Versions applied now (or that would be, under dry-run). */
  applied: string[]
  /** Versions whose file changed on disk since they were applied (append-only: an error). */
  changed: string[]
  total: number
}

/** Brings one node's schema up to date; under dry-run prints the SQL instead. */
export async function ensureSchema(node: NodeSpec, dryRun = false): Promise<NodeSchema> {
  const files = await schemaFiles()
  const plan = await withNode(node, sql => schemaPlan(sql, files))
  const pending = plan.filter(s => s.state === 'pending')
  for (const step of pending) {
    if (dryRun)
      dryRunSql.print(`-- ${node.name}: ${step.version}\n${(await sqlText(relative(repoRoot, step.path))).trim()}\n`)
    else await applySchemaFile(node, step)
  }
  return {
    node: node.name,
    applied: pending.map(s => s.version),
    changed: plan.filter(s => s.state === 'changed').map(s => s.version),
    total: plan.length,
  }
}

/** make schema on every node, one after another. */
export async function applySchema(config: Config, dryRun = false): Promise<NodeSchema[]> {
  const out: NodeSchema[] = []
  for (const node of allNodes(config)) out.push(await ensureSchema(node, dryRun))
  return out
}
