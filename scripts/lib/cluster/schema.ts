// Versioned schema files, applied per node: DDL is not replicated, so every node needs the same
// schema. A file is applied once, in one transaction with its record in replkit.schema_migrations.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { type NodeSpec, repoRoot } from '../config.js'
import type { Sql } from '../db.js'
import { psql } from '../psql.js'

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
  return Promise.all(names.map(async name => {
    const path = join(dir, name)
    return { version: basename(name, '.sql'), path, sha256: createHash('sha256').update(await readFile(path)).digest('hex') }
  }))
}

/** What the node has applied, compared with the files on disk. */
export async function schemaPlan(sql: Sql, files: SchemaFile[]): Promise<SchemaStep[]> {
  const [{ tracked }] = await sql`select to_regclass('replkit.schema_migrations') is not null as tracked`
  const applied = new Map<string, string>()
  if (tracked) {
    for (const row of await sql`select version, sha256 from replkit.schema_migrations`) applied.set(row.version, row.sha256)
  }
  return files.map(f => ({
    ...f,
    state: !applied.has(f.version) ? 'pending' : applied.get(f.version) === f.sha256 ? 'applied' : 'changed',
  }))
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
