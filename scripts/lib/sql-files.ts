// Versioned SQL files run through psql — or, under --dry-run, printed per node with their
// variables (secrets shown as <secret>), so the operator sees exactly what would run.
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { type NodeSpec, repoRoot } from './config.js'
import { psql } from './psql.js'

export interface SqlFileRun {
  vars?: Record<string, string>
  secretVars?: Record<string, string>
  dryRun: boolean
}

export async function runSqlFile(node: NodeSpec, path: string, run: SqlFileRun): Promise<void> {
  const file = join(repoRoot, path)
  if (run.dryRun) {
    const secrets = Object.fromEntries(Object.keys(run.secretVars ?? {}).map(k => [k, '<secret>']))
    const vars = Object.entries({ ...run.vars, ...secrets }).map(([k, v]) => `${k}=${v}`).join(' ')
    console.log(`-- ${node.name}: ${relative(repoRoot, file)}${vars ? `  (${vars})` : ''}`)
    console.log((await readFile(file, 'utf8')).trim().replace(/^/gm, '   '))
    return
  }
  await psql(node, { files: [file], vars: run.vars, secretVars: run.secretVars })
}
