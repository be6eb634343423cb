// make migrate as one library call: read a DDL file, refuse it whole if any statement cannot be
// applied safely under live subscriptions (nothing runs then), else apply each change in the order
// of plan.ts, node by node, skipping what a node already has. A failure part-way names the
// statement and the node; running the same file again finishes it.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config.js'
import { EXIT, ReplkitError } from '../errors.js'
import { type OpenNode, closeAll, openNodes } from '../node.js'
import { dryRunSql } from '../output.js'
import { subscriptionName } from '../replication/names.js'
import { fromCatalogues } from '../replication/roles.js'
import { stamp } from '../replication/saved-rows.js'
import { waitForApplied } from '../replication/waits.js'
import { queryFile } from '../sql-files.js'
import type { Steps } from '../steps.js'
import { type Phase, type PlannedChange, inverseOf, phasesOf, publishes, refuseUnsafe, widens } from './plan.js'
import { publishConfiguredTables, subscriptionsMissing } from './publish.js'
import type { ServerAccess } from '../server-access.js'
import { type Change, type Refusal, classify, isRefusal, splitStatements } from './statements.js'

export interface MigrateOptions {
  dryRun: boolean
  timeoutMs: number
  /** Handed to make replicate's steps when a new table is published (they never restart or edit here). */
  servers: ServerAccess
}

/** A DDL statement waits at most this long for its lock: one that queues blocks every writer behind it. */
const LOCK_TIMEOUT = '5s'

export async function migrate(config: Config, file: string, opts: MigrateOptions, steps: Steps): Promise<void> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new ReplkitError(`${file}: cannot read the file (${e.message})`)
  })
  const classified = splitStatements(text).map(classify)
  if (!classified.length) throw new ReplkitError(`${file}: holds no SQL statement`)
  const nodes = await openNodes([config.primary, ...config.replicas], { max: 1, statementTimeoutMs: 0 })
  try {
    const plan = await planOrRefuse(config, nodes, classified, steps)
    if (opts.dryRun) return printPlan(plan, config, steps)
    for (const n of nodes) await n.sql.unsafe(`set lock_timeout = '${LOCK_TIMEOUT}'`)
    for (const [i, planned] of plan.entries())
      await applyChange(planned, i + 1, nodes, opts, steps).catch(async (error: Error) => {
        throw await withUndo(error, plan.slice(0, i + 1), config)
      })
    // Read the catalogues again: a schema.* now holds the new tables.
    if (plan.some(p => p.publish)) await publishConfiguredTables(await fromCatalogues(config), opts, steps)
    for (const { change } of plan.filter(p => p.change.kind === 'create-table' && !p.publish))
      steps.note(
        `${change.table} exists on every node and is not published: to replicate its rows, add it to PUBLICATION_TABLES (.env), then make replicate`,
      )
  } finally {
    await closeAll(nodes)
  }
}

/** Every statement's plan, or every refusal at once (with its reason) and nothing run. */
async function planOrRefuse(
  config: Config,
  [primary, ...replicas]: OpenNode[],
  classified: (Change | Refusal)[],
  steps: Steps,
): Promise<PlannedChange[]> {
  const refusals = classified.filter(isRefusal)
  const changes = classified.filter((c): c is Change => !isRefusal(c))
  for (const change of changes) {
    const state = await stateOn(primary, change)
    const refused = refuseUnsafe(change, config, { currentType: state.column_exists ? state.column_type : null })
    if (refused) refusals.push(refused)
  }
  const published = changes.filter(c => publishes(c, config))
  const unsubscribed = published.length ? await subscriptionsMissing(replicas) : []
  if (unsubscribed.length)
    refusals.push({
      sql: published[0].sql,
      why: `it is in PUBLICATION_TABLES, but ${unsubscribed.join(', ')} could not take it: run make replicate first`,
    })
  if (refusals.length) {
    for (const r of refusals) steps.fail(`refused: ${r.sql}: ${r.why}`)
    throw new ReplkitError(
      `migrate refused ${refusals.length} of ${classified.length} statement(s), for the reasons above; nothing was run`,
      EXIT.failed,
    )
  }
  return changes.map(change => ({ change, phases: phasesOf(change), publish: publishes(change, config) }))
}

// biome-ignore lint/suspicious/noExplicitAny: the row of sql/migrate/010_change_state.sql.
type State = Record<string, any>

async function stateOn(n: OpenNode, change: Change): Promise<State> {
  const [row] = await queryFile(n.sql, 'sql/migrate/010_change_state.sql', [change.table || null, change.object])
  return row
}

/** The phase's work is already on the node: a re-run skips it. */
function done(change: Change, phase: Phase, s: State): boolean {
  if (phase.sql !== change.sql) return !s.column_exists || !s.column_not_null // the NOT NULL relaxed before a drop
  switch (change.kind) {
    case 'add-column':
      return s.column_exists
    case 'drop-column':
      return !s.column_exists
    case 'alter-type':
      return s.column_exists && widens(s.column_type, change.detail!) === 'same'
    case 'create-index':
      return s.index_exists
    case 'drop-index':
      return !s.index_exists
    case 'add-constraint':
      return s.constraint_exists
    case 'drop-constraint':
      return !s.constraint_exists
    case 'create-table':
      return s.table_exists
    case 'drop-table':
      return !s.table_exists
  }
}

async function applyChange(
  planned: PlannedChange,
  number: number,
  nodes: OpenNode[],
  opts: MigrateOptions,
  steps: Steps,
): Promise<void> {
  const [primary, ...replicas] = nodes
  for (const phase of planned.phases) {
    if (phase.afterApplied) {
      await waitForApplied(
        primary.sql,
        replicas.map(r => ({ sql: r.sql, subscription: subscriptionName(r.spec) })),
        opts.timeoutMs,
      )
      steps.verify(`every replica applied the PRIMARY's WAL past statement ${number}'s change there`)
    }
    for (const n of phase.where === 'primary' ? [primary] : replicas) {
      if (done(planned.change, phase, await stateOn(n, planned.change))) {
        steps.ok(`${n.name}: ${phase.sql}`, false)
        continue
      }
      await n.sql.unsafe(phase.sql).catch((e: Error & { code?: string }) => {
        throw new ReplkitError(
          `${n.name}: statement ${number} failed: ${e.message}${e.code === '55P03' ? ` (waited ${LOCK_TIMEOUT} for its lock: a long transaction holds the table)` : ''}: ${phase.sql}; the steps above are done, the rest are not: run the same file again once fixed`,
          EXIT.failed,
        )
      })
      steps.ok(`${n.name}: ${phase.sql}`, true)
    }
  }
}

/**
 * A run stopped part-way: the error gains the way back beside the way forward (the same file
 * again). The inverses of what may have run, last first, go to a file under SAVE_DIR that make
 * migrate takes like any other; what has no inverse is named.
 */
async function withUndo(error: Error, ran: PlannedChange[], config: Config): Promise<Error> {
  if (!(error instanceof ReplkitError)) return error
  const undone = ran.map((p, i) => ({ number: i + 1, change: p.change, inverse: inverseOf(p.change) }))
  const inverses = undone.filter(u => u.inverse !== null).reverse()
  const kept = undone.filter(u => u.inverse === null).map(u => `${u.number} (${u.change.kind})`)
  const keptNote = kept.length ? `; statement ${kept.join(', ')} cannot be taken back by make migrate` : ''
  if (!inverses.length) return new ReplkitError(`${error.message}${keptNote}`, error.exitCode)
  await mkdir(config.saveDir, { recursive: true })
  const path = join(config.saveDir, `${stamp()}-migrate-undo.sql`)
  await writeFile(
    path,
    `-- make migrate stopped part-way; these take back what statements 1-${ran.length} may have changed, last first.\n${inverses
      .map(u => `-- undoes statement ${u.number}: ${u.change.sql}\n${u.inverse};\n`)
      .join('')}`,
  )
  return new ReplkitError(
    `${error.message}; or, to take it back, make migrate ARGS="--file ${path} --yes"${keptNote}`,
    error.exitCode,
  )
}

function printPlan(plan: PlannedChange[], config: Config, steps: Steps): void {
  const replicaNames = config.replicas.map(r => r.name).join(', ')
  for (const [i, { change, phases }] of plan.entries())
    for (const phase of phases) {
      steps.ok(
        `statement ${i + 1} (${change.kind}) on ${phase.where === 'primary' ? config.primary.name : replicaNames}`,
        true,
      )
      dryRunSql.print(
        `-- ${i + 1}. on ${phase.where === 'primary' ? config.primary.name : replicaNames}${phase.afterApplied ? `, once every replica applied the PRIMARY's WAL past it` : ''}: ${phase.why}\n${phase.sql};`,
      )
    }
  for (const [i, { change, publish }] of plan.entries()) if (publish) printPublish(change, config, i + 1, steps)
}

/** What publishConfiguredTables will run, once every statement ran. */
function printPublish(change: Change, config: Config, number: number, steps: Steps): void {
  steps.ok(`statement ${number}: ${change.table} published (PUBLICATION_TABLES names it) and copied once`, true)
  dryRunSql.print(
    `-- ${number}. last, once every statement ran, as make replicate does it, since PUBLICATION_TABLES names ${change.table}: on ${config.primary.name}, SELECT on it granted to ${config.replicatorUser} and the publication set to the configured tables; on each replica, its subscription refreshed (copies the table's rows once, then applies its changes)\n${[
      `ALTER PUBLICATION ${config.publication} ADD TABLE ${change.table};`,
      ...config.replicas.map(
        r => `ALTER SUBSCRIPTION ${subscriptionName(r)} REFRESH PUBLICATION WITH (copy_data = true); -- on ${r.name}`,
      ),
    ].join('\n')}`,
  )
}
