// make schema: apply sql/schema/*.sql to every node (DDL is not replicated).
import { readFile } from 'node:fs/promises'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { allNodes, loadConfig } from './lib/config.js'
import { withNode } from './lib/db.js'
import { ReplkitError } from './lib/errors.js'
import { main, mark } from './lib/output.js'
import { applySchemaFile, schemaFiles, schemaPlan } from './lib/cluster/schema.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('schema')
  .usage('$0 [--dry-run]\n\nApply the versioned files in sql/schema/ to every node, each file once.')
  .option('dry-run', { type: 'boolean', default: false, describe: 'print the SQL that would run, per node; change nothing' })
  .strict()
  .help()
  .parse()

main(async () => {
  const config = loadConfig()
  const files = await schemaFiles()
  let changedFiles = 0
  for (const node of allNodes(config)) {
    const plan = await withNode(node, sql => schemaPlan(sql, files))
    for (const step of plan.filter(s => s.state === 'changed')) {
      changedFiles++
      mark.warn(`${node.name}: ${step.version} changed since it was applied; schema files are append-only — add a new numbered file`)
    }
    const pending = plan.filter(s => s.state === 'pending')
    if (pending.length === 0) {
      mark.ok(`${node.name}: schema up to date (${plan.length} versions)`)
      continue
    }
    for (const step of pending) {
      if (argv.dryRun) {
        console.log(`-- ${node.name}: ${step.version}\n${(await readFile(step.path, 'utf8')).trim()}\n`)
      } else {
        await applySchemaFile(node, step)
      }
    }
    mark.ok(`${node.name}: ${argv.dryRun ? 'would apply' : 'applied'} ${pending.map(s => s.version).join(', ')}`)
  }
  if (changedFiles > 0) throw new ReplkitError(`${changedFiles} applied schema file(s) changed on disk`, 1)
})
