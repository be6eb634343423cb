// The initial copy as pgcopydb --follow does it, instead of the subscription's table-sync
// workers: the slot is created over a replication connection with an exported snapshot, every
// table is copied from that snapshot by parallel psql COPY pipes (binary where the types allow),
// secondary indexes are built after the copy with one sort each, and the subscription then
// takes over the slot with copy_data = false. What committed before the snapshot is in the copy,
// what committed after it is in the slot: nothing lost, nothing twice (test/integration/
// snapshot-copy.test.ts proves it under writes).
import type { NodeSpec } from '../config.js'
import { type Sql, connect, connectChecked, withNode } from '../db.js'
import { psqlPipe } from '../psql.js'
import { ReplkitError } from '../errors.js'
import { sqlText } from '../sql-files.js'
import { quoteIdent as ident, sqlName } from '../table-name.js'

const copyQuery = (name: string) => sqlText(`sql/copy/${name}`)

export interface TableToCopy {
  table: string
  bytes: number
  columns: string[]
  /** The publication's row filter: only the rows it keeps are copied (null: all). */
  rowFilter: string | null
}

export interface CopyPlan {
  slot: string
  /** COPY … (FORMAT binary): both ends have the same column types and can read each other's binary. */
  binary: boolean
  /** Parallel COPY pipes for this replica. */
  jobs: number
  /** Whose column lists and row filters say what of each table is copied. */
  publication: string
}

/** The statements a COPY pair runs for one table, as --dry-run prints them. */
export function copyStatements(
  t: Pick<TableToCopy, 'table' | 'columns' | 'rowFilter'>,
  binary: boolean,
): { out: string; in: string } {
  const columns = t.columns.map(ident).join(', ')
  const target = `${sqlName(t.table)} (${columns})`
  const source = t.rowFilter ? `(SELECT ${columns} FROM ${sqlName(t.table)} WHERE (${t.rowFilter}))` : target
  const format = binary ? ' (FORMAT binary)' : ''
  return { out: `COPY ${source} TO STDOUT${format}`, in: `COPY ${target} FROM STDIN${format}` }
}

export const createSlotStatement = (slot: string) =>
  `CREATE_REPLICATION_SLOT ${ident(slot)} LOGICAL pgoutput (SNAPSHOT 'export')`

export interface CopyResult {
  tables: { table: string; ms: number }[]
  indexes: { index: string; ms: number }[]
  copyMs: number
  indexMs: number
}

/**
 * Secondary indexes saved and dropped before the copy, built again after it. A run interrupted
 * in between leaves their definitions in replkit.deferred_indexes: buildDeferredIndexes builds
 * them on the next run (make replicate calls it first), so no index is lost to a crash.
 */
async function deferIndexes(replica: Sql, tables: string[]): Promise<number> {
  await replica.unsafe(await copyQuery('025_deferred_indexes_table.sql'))
  const indexes = await secondaryIndexes(replica, tables)
  if (indexes.length === 0) return 0
  await replica.begin(async tx => {
    await tx.unsafe(await copyQuery('030_save_deferred_indexes.sql'), [JSON.stringify(indexes)])
    for (const i of indexes) await tx.unsafe(i.drop)
  })
  return indexes.length
}

export interface SecondaryIndex {
  index: string
  table: string
  drop: string
  definition: string
}

/** The indexes a copy into these tables is faster without, each built after it with one sort (020). */
export async function secondaryIndexes(replica: Sql, tables: string[]): Promise<SecondaryIndex[]> {
  return [...(await replica.unsafe(await copyQuery('020_secondary_indexes.sql'), [tables]))].map(r => ({
    index: r.index,
    table: r.table,
    drop: r.drop,
    definition: r.definition,
  }))
}

/** What a copy killed part-way deferred, built before anything copies into the replica again: the line to say, or null. */
export async function finishInterruptedCopy(replica: NodeSpec, jobs: number): Promise<string | null> {
  const rebuilt = await buildDeferredIndexes(replica, jobs)
  return rebuilt.length
    ? `${replica.name}: built ${rebuilt.map(i => i.index).join(', ')} again (an interrupted copy had deferred them)`
    : null
}

/** Builds every index a copy deferred, `jobs` at a time, each forgotten once built. */
export async function buildDeferredIndexes(node: NodeSpec, jobs: number): Promise<{ index: string; ms: number }[]> {
  const first = await connectChecked(node, { statementTimeoutMs: 0 })
  try {
    const [{ t }] = await first`select to_regclass('replkit.deferred_indexes') is not null as t`
    if (!t) return []
    const saved = [...(await first.unsafe(await copyQuery('050_build_deferred_indexes.sql')))]
    const forget = await copyQuery('060_forget_deferred_index.sql')
    const built: { index: string; ms: number }[] = []
    const queue = [...saved]
    const workers = [
      first,
      ...Array.from({ length: Math.max(0, Math.min(jobs, saved.length) - 1) }, () =>
        connect(node, { statementTimeoutMs: 0 }),
      ),
    ]
    try {
      await Promise.all(
        workers.map(async sql => {
          for (let i = queue.shift(); i; i = queue.shift()) {
            const started = performance.now()
            // maintenance_work_mem: one sort in memory per index instead of spilled runs.
            if (!i.exists)
              await sql.begin(async tx => {
                await tx.unsafe(`set local maintenance_work_mem = '256MB'`)
                await tx.unsafe(i.definition)
              })
            await sql.unsafe(forget, [i.index])
            built.push({ index: i.index, ms: performance.now() - started })
          }
        }),
      )
    } finally {
      await Promise.all(workers.slice(1).map(w => w.end()))
    }
    return built
  } finally {
    await first.end()
  }
}

/**
 * Creates the slot with an exported snapshot, copies every table from it into the (empty)
 * replica, builds the deferred indexes, and returns with the slot holding every change since
 * the snapshot. On a failure the slot is dropped and the replica's copied rows removed (its
 * tables were empty before), so the next run starts clean.
 */
export async function copyFromSnapshot(
  primaryNode: NodeSpec,
  replicaNode: NodeSpec,
  tables: string[],
  plan: CopyPlan,
): Promise<CopyResult> {
  // A walsender speaks only the simple query protocol: no connectChecked round trip here.
  const walsender = connect(primaryNode, { replication: true, statementTimeoutMs: 0, idleTimeoutSeconds: 0 })
  const replica = await connectChecked(replicaNode, { statementTimeoutMs: 0 })
  let slotCreated = false
  try {
    const [slot] = await walsender.unsafe(createSlotStatement(plan.slot))
    slotCreated = true
    const snapshot = slot.snapshot_name as string
    const started = performance.now()
    await deferIndexes(replica, tables)
    const copied = await copyTables(primaryNode, replicaNode, tables, snapshot, plan)
    // The snapshot is needed only until every copy has imported it.
    await walsender.end()
    const copyMs = performance.now() - started
    const indexes = await buildDeferredIndexes(replicaNode, plan.jobs)
    return { tables: copied, indexes, copyMs, indexMs: performance.now() - started - copyMs }
  } catch (error) {
    await walsender.end({ timeout: 1 }).catch(() => {})
    if (slotCreated) await undoCopy(primaryNode, replica, replicaNode, tables, plan)
    throw error
  } finally {
    await walsender.end().catch(() => {})
    await replica.end()
  }
}

async function undoCopy(
  primaryNode: NodeSpec,
  replica: Sql,
  replicaNode: NodeSpec,
  tables: string[],
  plan: CopyPlan,
): Promise<void> {
  const primary = connect(primaryNode)
  try {
    await primary`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${plan.slot} and not active`
  } finally {
    await primary.end()
  }
  await replica.unsafe(`truncate ${tables.map(sqlName).join(', ')}`)
  await buildDeferredIndexes(replicaNode, plan.jobs)
}

/** The published tables, largest first, with what COPY carries of each (the catalogue, not the snapshot). */
export async function tablesToCopy(primary: Sql, tables: string[], publication: string): Promise<TableToCopy[]> {
  return [...(await primary.unsafe(await copyQuery('010_tables_to_copy.sql'), [tables, publication]))].map(r => ({
    table: r.table,
    bytes: Number(r.bytes),
    columns: r.columns,
    rowFilter: r.row_filter,
  }))
}

/**
 * `jobs` psql pipes at a time take the tables largest first: the PRIMARY end imports the
 * exported snapshot in a REPEATABLE READ transaction and COPYs out; the replica end COPYs in as
 * the apply worker writes (session_replication_role = replica: no FK or user triggers fire),
 * one table per transaction. libpq on both ends: the rows never pass through Node.
 */
async function copyTables(
  primaryNode: NodeSpec,
  replicaNode: NodeSpec,
  tables: string[],
  snapshot: string,
  plan: CopyPlan,
): Promise<{ table: string; ms: number }[]> {
  const queue = await withNode(primaryNode, sql => tablesToCopy(sql, tables, plan.publication))
  const listed = queue.length
  const done: { table: string; ms: number }[] = []
  const begin = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    `SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`,
  ]
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(plan.jobs, queue.length)) }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const started = performance.now()
        const sql = copyStatements(t, plan.binary)
        await psqlPipe(
          { node: primaryNode, commands: [...begin, sql.out, 'COMMIT'] },
          {
            node: replicaNode,
            commands: [sql.in],
            settings: {
              session_replication_role: 'replica',
              synchronous_commit: 'off',
              default_transaction_read_only: 'off',
            },
          },
        )
        done.push({ table: t.table, ms: performance.now() - started })
      }
    }),
  )
  if (done.length !== listed)
    throw new ReplkitError(`${replicaNode.name}: copied ${done.length} of ${listed} tables from the snapshot`)
  return done
}
