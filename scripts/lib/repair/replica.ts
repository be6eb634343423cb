// make repair as a library call: one replica's differing rows repaired, table by table, over a
// connection of its own (the replication origin replkit_repair is set per session), then the
// repaired rows compared again at an LSN. Refused unless the replica's subscription streams: the rows are
// made equal at an LSN its apply worker has passed, and it brings every later change.
import { opened } from '../node.js'
import { type Config, type NodeSpec, replicatedTable } from '../config.js'
import { type Sql, connectChecked } from '../db.js'
import { EXIT, ReplkitError } from '../errors.js'
import { subscriptionName } from '../replication/names.js'
import { sqlText } from '../sql-files.js'
import { Steps } from '../steps.js'
import type { TableCompare } from '../compare/at-lsn.js'
import { type RepairOptions, type TableRepair, repairTable } from './repair.js'

export interface RepairRun extends Omit<RepairOptions, 'say'> {
  replica: string
  table?: string
}

export function repairTarget(
  config: Config,
  opts: { replica: string; table?: string },
): { replica: NodeSpec; tables: string[] } {
  const replica = config.replicas.find(r => r.name === opts.replica)
  if (!replica)
    throw new ReplkitError(
      `--replica ${opts.replica}: not a replica (replicas: ${config.replicas.map(r => r.name).join(', ')})`,
    )
  return {
    replica,
    tables: opts.table !== undefined ? [replicatedTable(config, opts.table, '--table')] : config.tables,
  }
}

export async function streaming(primary: Sql, subscription: string): Promise<boolean> {
  return (await primary`select 1 from pg_stat_replication where application_name = ${subscription}`).length > 0
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** Repairs each table of the replica (or the one --table); each table's result as steps. */
export async function repairReplica(
  config: Config,
  run: RepairRun,
  steps = new Steps(),
): Promise<{ steps: Steps; tables: TableRepair[] }> {
  const { replica, tables } = repairTarget(config, run)
  const timeouts = { connectTimeoutSeconds: 5, statementTimeoutMs: run.timeoutMs }
  const primarySql = await connectChecked(config.primary, { ...timeouts, max: 1 })
  const replicaSql = await connectChecked(replica, { ...timeouts, max: 1 }).catch(async error => {
    await primarySql.end()
    throw error
  })
  try {
    const subscription = subscriptionName(replica)
    if (!(await streaming(primarySql, subscription))) {
      throw new ReplkitError(
        `${subscription} is not streaming from the PRIMARY: a repair makes rows equal at an LSN the apply worker has passed, and needs it to bring every later change. ` +
          `Make it stream first (make check says why it does not), or copy the replica again: make sync ARGS="--replica ${replica.name} --copy --yes"`,
        EXIT.failed,
      )
    }
    return { steps, tables: await repairOn(config, replica, primarySql, replicaSql, tables, run, steps) }
  } finally {
    await Promise.all([primarySql.end({ timeout: 1 }), replicaSql.end({ timeout: 1 })])
  }
}

/**
 * The repair over connections the caller holds (make sync's); the replica's becomes a session of
 * the replication origin replkit_repair. known: each table's comparison, when already made.
 */
export async function repairOn(
  config: Config,
  replica: NodeSpec,
  primarySql: Sql,
  replicaSql: Sql,
  tables: string[],
  run: Omit<RepairRun, 'replica' | 'table'>,
  steps: Steps,
  known: Record<string, TableCompare> = {},
): Promise<TableRepair[]> {
  const subscription = subscriptionName(replica)
  if (!run.dryRun) await replicaSql.unsafe(await sqlText('sql/repair/010_session.sql'))
  const target = {
    config,
    primary: opened(config.primary, primarySql),
    replica: { ...opened(replica, replicaSql), subscription },
  }
  const results: TableRepair[] = []
  for (const table of tables) {
    const r = await repairTable(target, table, { ...run, say: text => steps.note(text) }, known[table])
    results.push(r)
    reportTable(replica.name, r, run.dryRun, steps)
  }
  if (!run.dryRun) await replicaSql.unsafe('select pg_replication_origin_session_reset()')
  return results
}

/** One table's repair as steps: equal already, unsettled, what would be or was written and saved, the proof. */
function reportTable(R: string, r: TableRepair, dryRun: boolean, steps: Steps): void {
  const { table } = r
  if (!r.found && r.after === 'equal') {
    steps.ok(`${R}: ${table} equals the PRIMARY's`, false)
    return
  }
  if (!r.found) {
    steps.warn(
      `${R}: ${table}: rows still being written in every round, none proven different: nothing repaired; run make check`,
    )
    return
  }
  if (dryRun) {
    steps.ok(`would: repair ${plural(r.found, 'row')} of ${table} on ${R} (the SQL above)`, true)
    return
  }
  const written = r.deleted + r.updated + r.inserted
  const overwritten = r.deleted + r.updated
  const keys = `${r.savedKeys.slice(0, 5).join(', ')}${r.savedKeys.length > 5 ? `, … ${r.savedKeys.length - 5} more` : ''}`
  steps.ok(
    `${R}: ${table}: ${plural(written, 'row')} written (${r.inserted} inserted, ${r.updated} updated, ${r.deleted} deleted)` +
      `${r.alreadyRight ? `, ${r.alreadyRight} already made right by the apply worker` : ''} in ${Math.round(r.ms)} ms; ` +
      (overwritten
        ? `the ${plural(overwritten, 'row')} it deleted or overwrote saved in ${r.savedFile} (${keys})`
        : 'nothing overwritten'),
    written > 0,
  )
  if (r.stillWritten.length)
    steps.warn(
      `${R}: ${table}: ${plural(r.stillWritten.length, 'row')} the PRIMARY changed during every attempt, left to the apply worker: ${r.stillWritten.slice(0, 5).join(', ')}${r.stillWritten.length > 5 ? ', …' : ''}`,
    )
  if (r.after === 'equal')
    steps.verify(`${R}: rows equal the PRIMARY's for ${table} (the repaired rows compared again at an LSN it reached)`)
  else if (r.after === 'unsettled')
    steps.warn(`${R}: ${table} still being written in every round after the repair: run make check`)
  else steps.fail(`${R}: ${table} still differs from the PRIMARY after the repair: make check ARGS="--diff ${table}"`)
}
