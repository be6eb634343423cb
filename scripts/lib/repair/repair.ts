// make repair: a replica's differing rows made equal to the PRIMARY's, and nothing else written.
// The differing keys come from the comparison at an LSN (compare/at-lsn.ts). Each batch then:
// reads the PRIMARY's rows for its keys at a snapshot and LSN; waits until the replica applied
// past it; on the replica, in one transaction, locks the rows (the apply worker waits for it),
// saves the ones it will delete or overwrite, deletes extra, updates different, inserts missing
// rows; reads the PRIMARY again and commits only if none of those keys changed meanwhile (a key
// the PRIMARY changed is left to the apply worker's newer version, and retried). Writes run as
// the apply worker's do (no triggers) under the replication origin replkit_repair.
import { fileNameOf, sqlName } from '../table-name.js'
import { dryRunSql } from '../output.js'
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type KeyDifference, type TableCompare, compareTable } from '../compare/at-lsn.js'
import type { OpenNode } from '../node.js'
import { type TableShape, tableShape } from '../compare/shape.js'
import type { Config } from '../config.js'
import { EXIT, ReplkitError } from '../errors.js'
import postgres from 'postgres'
import { stamp } from '../replication/saved-rows.js'
import {
  PrimaryMoved,
  type Texts,
  jsonArray,
  literal,
  planBatch,
  primaryRows,
  repairBatch,
  repairStatements,
  rowsOn,
  texts,
  withoutComments,
} from './batch.js'

export interface RepairOptions {
  dryRun: boolean
  batchSize: number
  /** More differing rows than this: refused, a whole-table copy (make sync) is the repair. */
  maxRows: number
  timeoutMs: number
  say: (text: string) => void
}

export interface TableRepair {
  table: string
  /** Keys found different before the repair. */
  found: number
  deleted: number
  updated: number
  inserted: number
  /** Keys the apply worker had made right by the time their batch ran. */
  alreadyRight: number
  /** Keys the PRIMARY changed in every attempt: left to the apply worker, not repaired. */
  stillWritten: string[]
  savedFile: string | null
  /** The keys of the rows found extra or different: what the save holds (unless the apply worker fixed one first). */
  savedKeys: string[]
  /** The comparison after the repair: 'equal' proves it. */
  after: 'equal' | 'differs' | 'unsettled' | null
  ms: number
}

const ATTEMPTS = 4
export interface RepairTarget {
  config: Config
  primary: OpenNode
  /**
   * The replica; its sql is a connection of the repair's own (the replication origin is per
   * session). subscription null: a table nothing replicates (nothing to wait for or race).
   */
  replica: OpenNode & { subscription: string | null }
}

/** One table's repair under way: what it works on and what it has done so far. */
interface Run {
  target: RepairTarget
  table: string
  opts: RepairOptions
  shape: TableShape
  t: Texts
  result: TableRepair
  started: number
}

/** The rows of table that differ on the replica, repaired (or, under --dry-run, the SQL printed). */
export async function repairTable(
  target: RepairTarget,
  table: string,
  opts: RepairOptions,
  known?: TableCompare,
): Promise<TableRepair> {
  const started = performance.now()
  const shape = await sameColumns(target, table)
  const run: Run = { target, table, opts, shape, t: await texts(shape), result: emptyResult(table), started }
  const publication = target.config.publication
  const diff =
    known ??
    (await compareTable(target.primary, [target.replica], table, {
      rows: true,
      timeoutMs: opts.timeoutMs,
      publication,
    }))
  const differing = repairable(run, diff)
  const unsettled = diff.replicas[0].unsettled
  if (!differing.length && !unsettled) return finish(run, 'equal')
  opts.say(foundLine(run, differing, diff.rounds, unsettled))
  if (!differing.length) return finish(run, 'unsettled')
  const keys = differing.map(d => d.keyJson)
  const batches = inBatches(keys, opts.batchSize)
  if (opts.dryRun) {
    await printBatches(run, batches)
    return finish(run, null)
  }
  const save = await openSave(run)
  run.result.stillWritten = await runBatches(run, batches, save)
  // The proof: the repaired keys compared again at an LSN the replica reached (the rest of the table was equal).
  const check = await compareTable(target.primary, [target.replica], table, {
    rows: true,
    timeoutMs: opts.timeoutMs,
    keys,
    publication,
  })
  return finish(run, check.replicas[0].state)
}

/**
 * The PRIMARY's shape of the table (what the publication sends of it), refused when the replica's
 * columns differ (the DDL is check's); a column the publication does not send is the replica's own.
 */
async function sameColumns({ primary, replica, config }: RepairTarget, table: string): Promise<TableShape> {
  const shape = await tableShape(primary.sql, table, config.publication)
  const theirs = await tableShape(replica.sql, table).catch(() => null)
  const names = (s: TableShape) => s.columns.map(c => c.name).sort()
  const same = shape.inPart
    ? theirs !== null && names(shape).every(c => names(theirs).includes(c))
    : theirs !== null && names(theirs).join(',') === names(shape).join(',')
  if (!same) {
    throw new ReplkitError(
      `${table} on ${replica.name} has other columns than on the PRIMARY: make check names the DDL that aligns them; repair only rows of equal tables`,
    )
  }
  return shape
}

function emptyResult(table: string): TableRepair {
  return {
    table,
    found: 0,
    deleted: 0,
    updated: 0,
    inserted: 0,
    alreadyRight: 0,
    stillWritten: [],
    savedFile: null,
    savedKeys: [],
    after: null,
    ms: 0,
  }
}

function finish(run: Run, after: TableRepair['after']): TableRepair {
  return { ...run.result, after, ms: performance.now() - run.started }
}

/** The replica's differing keys, refused when too many for a row-by-row repair (a copy is then the repair). */
function repairable({ target, table, opts, result }: Run, diff: TableCompare): KeyDifference[] {
  const R = target.replica.name
  const copy = `make sync ARGS="--replica ${R} --yes" copies every table again in one transaction`
  if (diff.differences === null)
    throw new ReplkitError(
      `${table} on ${R}: ${diff.tooManyRows} rows lie in differing blocks, too many to repair row by row: ${copy}`,
    )
  const differing = diff.differences.filter(d => d.nodes[R])
  result.found = differing.length
  result.savedKeys = differing.filter(d => d.nodes[R] !== 'missing').map(d => d.key)
  if (differing.length > opts.maxRows)
    throw new ReplkitError(
      `${table} on ${R}: ${differing.length} rows differ, more than --max-rows ${opts.maxRows}: ${copy}`,
    )
  return differing
}

function foundLine({ target, table }: Run, differing: KeyDifference[], rounds: number, unsettled: number): string {
  const R = target.replica.name
  const plural = (n: number) => (n === 1 ? '' : 's')
  return (
    `${R}: ${table} has ${differing.length} differing row${plural(differing.length)} (${count(differing, R)}; ` +
    `${rounds} round${plural(rounds)} at an LSN)${unsettled ? `, ${unsettled} block${plural(unsettled)} or row${plural(unsettled)} still being written (left to the apply worker)` : ''}`
  )
}

function inBatches(keys: string[], size: number): string[][] {
  const batches: string[][] = []
  for (let i = 0; i < keys.length; i += size) batches.push(keys.slice(i, i + size))
  return batches
}

/** --dry-run: each batch's transaction as it would run now, with the PRIMARY's current rows. */
async function printBatches({ target, t }: Run, batches: string[][]): Promise<void> {
  const { primary, replica } = target
  for (const [i, batch] of batches.entries()) {
    const now = await primaryRows(primary.sql, t, batch)
    const statements = repairStatements(t, planBatch(batch, now.rows, await rowsOn(replica.sql, t, batch)))
    const lock = t.lock.replaceAll('{{rows}}', literal(jsonArray(batch)))
    dryRunSql.print(
      `-- ${replica.name}: batch ${i + 1} of ${batches.length}, with the rows as the PRIMARY holds them now; the rows the lock returns are saved before the writes, ` +
        `and the transaction commits only if the PRIMARY still holds these rows after them\n` +
        `BEGIN;\n${withoutComments(t.settings)}\n${withoutComments(t.asWorker)}\n${[lock, ...statements.map(s => s.sql)].map(withoutComments).join('\n')}\nCOMMIT;`,
    )
  }
}

/** The save file (owner-only) and its README, made before any row is overwritten. */
async function openSave({ target, table, result }: Run): Promise<(lines: string) => Promise<void>> {
  const { config, replica } = target
  const dir = join(config.saveDir, `${stamp()}-${replica.name}-repair`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `${fileNameOf(table)}.jsonl`)
  await writeFile(file, '', { mode: 0o600 })
  await chmod(file, 0o600)
  await writeFile(
    join(dir, 'README.txt'),
    `Rows of ${replica.name}'s ${table} that make repair deleted or overwrote (${new Date().toISOString()}), one JSON line each:\n` +
      `{"action": "delete"|"update", "key": {...}, "row": {the row as it was}}. Put one back with:\n` +
      `  INSERT INTO ${sqlName(table)} SELECT * FROM jsonb_populate_record(NULL::${sqlName(table)}, '<row>') ON CONFLICT DO NOTHING;\n`,
  )
  result.savedFile = file
  return lines => appendFile(file, lines)
}

/** Every batch, retried while the apply worker or the PRIMARY moves its keys; returns the keys never settled. */
async function runBatches(run: Run, batches: string[][], save: (lines: string) => Promise<void>): Promise<string[]> {
  const { target, shape, t, opts, result } = run
  let queue = batches
  for (let attempt = 1; queue.length && attempt <= ATTEMPTS; attempt++) {
    const retry: string[] = []
    for (const batch of queue) {
      try {
        const done = await repairBatch(
          target.primary,
          target.replica.sql,
          target.replica.subscription,
          shape,
          t,
          batch,
          save,
          opts.timeoutMs,
        )
        result.deleted += done.deleted
        result.updated += done.updated
        result.inserted += done.inserted
        result.alreadyRight += done.alreadyRight
      } catch (error) {
        retry.push(...retryable(run, error, batch, queue))
      }
    }
    queue = retry.length ? [retry] : []
  }
  return queue.flat()
}

/** The keys of a failed batch to try again; any other failure is thrown (the batch rolled back). */
function retryable(run: Run, error: unknown, batch: string[], queue: string[][]): string[] {
  // The apply worker got there first: it holds a lock past lock_timeout, or inserted a row
  // this batch inserts (the PRIMARY deleted and re-created it). The batch is rolled back; again later.
  const code = (error as { code?: string }).code
  if (code === '23505' || code === '55P03') return batch
  if (error instanceof postgres.PostgresError) throw refusedBatch(run, error)
  if (!(error instanceof PrimaryMoved)) throw error
  // Keys the PRIMARY did not touch go again at once; the moved ones after the rest.
  const moved = new Set(error.keys)
  const still = batch.filter(k => !moved.has(k))
  if (still.length) queue.push(still)
  return error.keys
}

/** The server's own words for a batch it refused, and what that left: this batch undone, earlier ones kept. */
function refusedBatch({ target, table, result }: Run, error: postgres.PostgresError): ReplkitError {
  const done = result.deleted + result.updated + result.inserted
  const detail = error.detail ? ` (${error.detail})` : ''
  return new ReplkitError(
    `${table} on ${target.replica.name}: the replica refused a repair batch: ${error.message}${detail} [SQLSTATE ${error.code}]; ` +
      `that batch rolled back${done ? `, the ${done} rows repaired before it stay (saved rows in ${result.savedFile})` : ', nothing was changed'}`,
    EXIT.failed,
  )
}

function count(differing: KeyDifference[], replica: string): string {
  const n = (state: string) => differing.filter(d => d.nodes[replica] === state).length
  return `${n('missing')} missing, ${n('different')} different, ${n('extra')} extra`
}
