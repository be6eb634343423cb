// A whole schema in PUBLICATION_TABLES (sales.*) stands for the tables the PRIMARY holds there when
// a command runs, and is published as that list, never as FOR TABLES IN SCHEMA. Such a publication
// would send a table created there later at once, before any replica has it, and each apply
// worker would stop at its first row ("logical replication target relation … does not exist").
// Listed, a new table waits until make replicate creates it on the replicas, publishes it and
// refreshes the subscriptions; make check names it meanwhile (PUBLICATION_INCOMPLETE).
import type { Config } from '../config.js'
import type { Sql } from '../db.js'
import { ConfigError } from '../errors.js'
import { withSchemaTables } from '../publication-tables.js'
import { checkQuery } from '../sql-files.js'
import { tableText } from '../table-name.js'

/** The configuration with each schema.* replaced by its tables on the PRIMARY, less the exclusions. */
export async function expandSchemas(config: Config, primary: Sql): Promise<Config> {
  // Read again on every run (make migrate after it creates a table): the tables already known stay.
  const found = (await checkQuery(primary, 'schema_tables.sql', [config.publishedSchemas])).map(r => ({
    schema: r.schema as string,
    table: tableText({ schema: r.schema, name: r.name }),
  }))
  const tables = withSchemaTables(
    { tables: config.tables, schemas: config.publishedSchemas, excluded: config.excludedTables },
    found,
  )
  if (tables.length === 0)
    throw new ConfigError(
      `PUBLICATION_TABLES: ${config.publishedSchemas.map(s => `${s}.*`).join(', ')} holds no table on ${config.primary.name}`,
    )
  return { ...config, tables, schemaTablesUnread: false }
}
