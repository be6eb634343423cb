// Before a resync touches a replica: proof that the copy can succeed (same columns, the
// replication role can log in and read every table, a slot can be made), else a refusal that
// names the difference and changes nothing. The runbook's "lossless" resync emptied a replica
// whose schema had drifted; the copy could then never start.
import { publishedParts } from '../checks/fingerprint.js'
import { describeDrift, schemaDrift, tableColumns } from '../replication/schema-drift.js'
import type { Config, NodeSpec } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { replicatorPassword } from '../replication/password.js'
import { roleState } from '../replication/preflight.js'

export async function proveCopyCanSucceed(
  config: Config,
  replica: NodeSpec,
  primary: Sql,
  replicaSql: Sql,
  tables: string[],
  hasSlot: boolean,
): Promise<void> {
  const problems: string[] = []
  const [ours, theirs, parts] = await Promise.all([
    tableColumns(primary, tables),
    tableColumns(replicaSql, tables),
    publishedParts(primary, config.publication, tables),
  ])
  for (const d of schemaDrift(ours, theirs, parts).filter(x => x.breaksApply)) {
    problems.push(
      `schema drift: ${describeDrift(d, replica.name)}${d.ddl ? `; align it first, on ${replica.name}: ${d.ddl}` : `; ${d.note}`}`,
    )
  }
  const missingTables = tables.filter(t => !theirs.some(c => c.table === t))
  if (missingTables.length)
    problems.push(
      `${missingTables.join(', ')} do not exist on ${replica.name}: make replicate creates them from the PRIMARY's definitions`,
    )
  const role = await roleState(primary, config.replicatorUser)
  if (!role.exists || !role.login || !role.replication)
    problems.push(
      `the replication role ${config.replicatorUser} cannot log in and replicate on the PRIMARY: run make replicate`,
    )
  else if (role.missingGrants(tables).length)
    problems.push(
      `${config.replicatorUser} cannot read ${role.missingGrants(tables).join(', ')} on the PRIMARY: run make replicate (it grants SELECT)`,
    )
  else problems.push(...(await replicatorLogin(config)))
  const [{ free }] = await primary`
    select current_setting('max_replication_slots')::int - (select count(*)::int from pg_replication_slots) as free`
  if (free + (hasSlot ? 1 : 0) < 1)
    problems.push(
      'the PRIMARY has no free replication slot (max_replication_slots): raise it (ALTER SYSTEM, then a restart)',
    )
  if (problems.length) {
    throw new ReplkitError(
      `${replica.name}: refusing to resync, the copy could not succeed — nothing was changed:\n${problems.map(p => `  - ${p}`).join('\n')}`,
      EXIT.failed,
    )
  }
}

/** The replication role's own login to the PRIMARY, as the subscription will make it. */
async function replicatorLogin(config: Config): Promise<string[]> {
  const spec: NodeSpec = {
    ...config.primary,
    user: config.replicatorUser,
    password: await replicatorPassword(config),
    name: 'primary (as the replication role)',
  }
  try {
    const sql = await connectChecked(spec, { connectTimeoutSeconds: 3 })
    await sql.end()
    return []
  } catch (error) {
    return [`${(error as Error).message}: run make replicate (it sets the role's password and pg_hba lines)`]
  }
}
