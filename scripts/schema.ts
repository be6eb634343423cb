// make schema: apply sql/schema/*.sql to every node (DDL is not replicated), each file once.
import { applySchema } from './lib/schema.js'
import { loadConfig } from './lib/config.js'
import { EXIT, ReplkitError } from './lib/errors.js'
import { cli, dryRunFlag } from './lib/flags.js'
import { main, mark } from './lib/output.js'

const argv = await cli(
  'schema',
  '$0 [--dry-run]\n\nApply the versioned files in sql/schema/ to every node, each file once.',
)
  .option('dry-run', dryRunFlag)
  .parse()

main(
  async () => {
    const config = loadConfig()
    const nodes = await applySchema(config, argv.dryRun)
    for (const n of nodes) {
      for (const v of n.changed)
        mark.warn(
          `${n.node}: ${v} changed since it was applied; schema files are append-only — add a new numbered file`,
        )
      if (n.applied.length === 0) mark.ok(`${n.node}: schema up to date (${n.total} versions)`)
      else mark.ok(`${n.node}: ${argv.dryRun ? 'would apply' : 'applied'} ${n.applied.join(', ')}`)
    }
    const changed = nodes.reduce((k, n) => k + n.changed.length, 0)
    if (changed > 0) throw new ReplkitError(`${changed} applied schema file(s) changed on disk`, EXIT.rejected)
  },
  { deadlineMs: 300_000 },
)
