// Runbook step 1: seed products.json into the PRIMARY, idempotently, in one transaction.
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { inputPath } from './lib/config.js'
import { withNode } from './lib/db.js'
import { dryRunSql, main, progress } from './lib/output.js'
import { seed } from './lib/seed/seed.js'
import { seedSqlDir, seedStatements, whenRun } from './lib/seed/statements.js'
import { cli } from './lib/flags.js'
import { loadClusterConfig } from './lib/replication/roles.js'

const argv = await cli(
  'seed',
  '$0 [--file PATH] [--dry-run] [--json]\n\nSeed products into the PRIMARY: stream the file in batches, each validated, then\nupserted into categories, products and inventory (copied straight in when products\nis empty), all in one transaction. Bad input anywhere in the file rolls it back:\nnothing written.',
)
  .option('file', {
    requiresArg: true,
    type: 'string',
    default: 'data/products.json',
    describe: 'products file (a JSON array)',
  })
  .option('categories', {
    requiresArg: true,
    type: 'string',
    default: 'data/categories.json',
    describe: 'categories file (a JSON array)',
  })
  .option('dry-run', {
    type: 'boolean',
    default: false,
    describe: 'print the SQL and what would change; write nothing',
  })
  .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
  .parse()

main(
  async () => {
    const config = await loadClusterConfig()
    const file = relative(process.cwd(), inputPath(argv.file)) || argv.file
    const say = argv.json ? () => {} : (text: string) => console.log(text)
    const result = await withNode(
      config.primary,
      async sql => {
        say('Connected to PRIMARY database')
        dryRunSql.keep = argv.json
        if (argv.dryRun) {
          for (const name of seedStatements)
            dryRunSql.print(
              `-- ${name} (in one transaction, rolled back by --dry-run; ${whenRun(name)})\n${(await readFile(join(seedSqlDir, name), 'utf8')).trim()}\n`,
            )
        }
        say('Starting product seeding...')
        const bar = progress('Seeding')
        const result = await seed(sql, {
          file,
          categoriesFile: inputPath(argv.categories),
          dryRun: argv.dryRun,
          onProgress: argv.json ? undefined : (n, f) => bar.update(n, f),
        })
        bar.done()
        return result
      },
      { statementTimeoutMs: 0 },
    )

    if (argv.json) {
      const statements = argv.dryRun ? { statements: dryRunSql.statements } : {}
      console.log(JSON.stringify({ file, dryRun: argv.dryRun, ...result, ...statements }, null, 2))
      return 0
    }
    const verb = argv.dryRun ? 'Would be' : ''
    console.log(`Found ${result.found} products in JSON`)
    console.log(`Processed ${result.found}/${result.found} products...`)
    console.log(argv.dryRun ? 'Dry run completed: nothing was written.' : 'Seeding completed!')
    console.log(`   ${verb ? `${verb} created` : 'Created'}: ${result.created}`)
    console.log(`   ${verb ? `${verb} updated` : 'Updated'}: ${result.updated}`)
    console.log(`   ${verb ? `${verb} skipped` : 'Skipped'}: ${result.skipped}`)
    if (result.unlisted > 0)
      console.log(
        `   Not in file: ${result.unlisted} (products on the PRIMARY that the file does not list; left alone)`,
      )
    return 0
  },
  { deadlineMs: 3_600_000 },
)
