// The initial copy as pgcopydb --follow does it, instead of the subscription's table-sync
// workers: the slot is created over a replication connection with an exported snapshot (held by
// a process of its own, snapshot-holder.ts), every table is copied from that snapshot in parts
// by parallel psql COPY pipes (copy-parts.ts; binary where the types allow), secondary indexes
// are built after the copy with one sort each, and the subscription then takes over the slot
// with copy_data = false. What committed before the snapshot is in the copy, what committed
// after it is in the slot: nothing lost, nothing twice (test/integration/snapshot-copy.test.ts
// proves it under writes). A run killed part-way is resumed by the next (copy-resume.test.ts).
import type { NodeSpec } from '../config.js'
import { type Sql, connect, connectChecked, withNode } from '../db.js'
import { sqlText } from '../sql-files.js'
import { sqlName } from '../table-name.js'
import { eachWithin } from '../concurrency.js'
import { type InterruptedCopy, copyParts, cutIntoParts, forgetParts, saveParts } from './copy-parts.js'
import { tablesToCopy } from './copy-statements.js'
import { endHolder, holdSnapshot } from './snapshot-holder.js'

const copyQuery = (name: string) => sqlText(`sql/copy/${name}`)

export interface CopyPlan {
  slot: string
  /** COPY … (FORMAT binary): both ends have the same column types and can read each other's binary. */
  binary: boolean
  /** Parallel COPY pipes for this replica. */
  jobs: number
  /** Whose column lists and row filters say what of each table is copied. */
  publication: string
  /** Parts of at most this many bytes: a larger table is copied side by side in ranges of its blocks. */
  partBytes: number
  /** How long the snapshot is held at most: how long a killed run can be resumed. */
  holdSeconds: number
}

export interface CopyResult {
  /** Tables copied whole. */
  tables: number
  /** Parts they were copied in, and how many of them an interrupted run had copied already. */
  parts: number
  resumed: number
  indexes: { index: string; ms: number }[]
  /** Of the indexes, how many were built while other tables still copied (copyMs includes them). */
  duringCopy: number
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

/** Builds every index a copy deferred (or only `table`'s), `jobs` at a time, each forgotten once built. */
export async function buildDeferredIndexes(
  node: NodeSpec,
  jobs: number,
  table: string | null = null,
): Promise<{ index: string; ms: number }[]> {
  const first = await connectChecked(node, { statementTimeoutMs: 0 })
  try {
    const [{ t }] = await first`select to_regclass('replkit.deferred_indexes') is not null as t`
    if (!t) return []
    const saved = [...(await first.unsafe(await copyQuery('050_build_deferred_indexes.sql'), [table]))]
    const forget = await copyQuery('060_forget_deferred_index.sql')
    const built: { index: string; ms: number }[] = []
    const workers = [
      first,
      ...Array.from({ length: Math.max(0, Math.min(jobs, saved.length) - 1) }, () =>
        connect(node, { statementTimeoutMs: 0 }),
      ),
    ]
    const idle = [...workers]
    try {
      await eachWithin(saved, workers.length, async i => {
        const sql = idle.pop()!
        try {
          const started = performance.now()
          // maintenance_work_mem: one sort in memory per index instead of spilled runs.
          if (!i.exists)
            await sql.begin(async tx => {
              await tx.unsafe(`set local maintenance_work_mem = '256MB'`)
              await tx.unsafe(i.definition)
            })
          await sql.unsafe(forget, [i.index])
          built.push({ index: i.index, ms: performance.now() - started })
        } finally {
          idle.push(sql)
        }
      })
    } finally {
      await Promise.all(workers.slice(1).map(w => w.end()))
    }
    return built
  } finally {
    await first.end()
  }
}

/**
 * Index builds queued one at a time, one table's after another: `add` queues a table's,
 * `ended` waits until every queued build has ended however it did (before an undo), `built`
 * also throws the first failure.
 */
function indexQueue(node: NodeSpec, built: CopyResult['indexes']) {
  let chain: Promise<unknown> = Promise.resolve()
  return {
    add(table: string): void {
      chain = chain.then(async () => built.push(...(await buildDeferredIndexes(node, 1, table))))
      chain.catch(() => {}) // thrown by built(), after the copy
    },
    ended: () =>
      chain.then(
        () => {},
        () => {},
      ),
    built: () => chain,
  }
}

/**
 * Creates the slot with its snapshot held, records the parts on the replica, copies them from
 * the snapshot into the (empty) replica, builds the deferred indexes, and returns with the slot
 * holding every change since the snapshot. Given an interrupted copy, copies only its missing
 * parts. On a failure the slot is dropped and the replica's copied rows removed (its tables were
 * empty before), so the next run starts clean; a kill leaves the record the next run resumes from.
 */
export async function copyFromSnapshot(
  primaryNode: NodeSpec,
  replicaNode: NodeSpec,
  tables: string[],
  plan: CopyPlan,
  interrupted: InterruptedCopy | null,
): Promise<CopyResult> {
  const replica = await connectChecked(replicaNode, { statementTimeoutMs: 0 })
  let holder: string | null = interrupted?.holder ?? null
  try {
    const started = performance.now()
    let copy = interrupted
    if (!copy) {
      const held = await holdSnapshot(primaryNode, plan.slot, plan.holdSeconds)
      holder = held.holder
      const toCopy = await withNode(primaryNode, sql => tablesToCopy(sql, tables, plan.publication))
      const parts = cutIntoParts(toCopy, plan.partBytes)
      await saveParts(replica, plan.slot, held, parts)
      await deferIndexes(replica, tables)
      copy = { ...held, parts }
    }
    const resumed = copy.parts.filter(p => p.copied).length
    // A table's indexes are built once its last part is in, one at a time beside the copy
    // streams (as pgcopydb's index jobs): a run killed later leaves fewer to build. The last
    // tables' are built after, `jobs` at a time. The copy ends only once those builds have.
    const indexes: CopyResult['indexes'] = []
    const early = indexQueue(replicaNode, indexes)
    const copied = await copyParts(primaryNode, replicaNode, copy.parts, copy.snapshot, plan, early.add).finally(
      early.ended,
    )
    await early.built()
    // The snapshot is needed only until every part is in.
    await releaseSnapshot(primaryNode, plan.slot, holder)
    const copyMs = performance.now() - started
    const duringCopy = indexes.length
    indexes.push(...(await buildDeferredIndexes(replicaNode, plan.jobs)))
    return {
      tables: copied,
      parts: copy.parts.length,
      resumed,
      indexes,
      duringCopy,
      copyMs,
      indexMs: performance.now() - started - copyMs,
    }
  } catch (error) {
    await releaseSnapshot(primaryNode, plan.slot, holder).catch(() => {})
    await undoCopy(primaryNode, replica, replicaNode, tables, plan)
    throw error
  } finally {
    await replica.end()
  }
}

/** Ends the session holding the snapshot: this run's, or the one a killed run left. */
async function releaseSnapshot(primaryNode: NodeSpec, slot: string, holder: string | null): Promise<void> {
  await withNode(primaryNode, sql => endHolder(sql, slot, holder))
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
  await forgetParts(replica, plan.slot)
  await buildDeferredIndexes(replicaNode, plan.jobs)
}
