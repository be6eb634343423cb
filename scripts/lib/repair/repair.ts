// make repair: a replica's differing rows made equal to the PRIMARY's, and nothing else written.
// The differing keys come from the comparison at an LSN (compare/at-lsn.ts). Each batch then:
// reads the PRIMARY's rows for its keys at a snapshot and LSN; waits until the replica applied
// past it; on the replica, in one transaction, locks the rows (the apply worker waits for it),
// saves the ones it will delete or overwrite, deletes extra, updates different, inserts missing
// rows; reads the PRIMARY again and commits only if none of those keys changed meanwhile (a key
// the PRIMARY changed is left to the apply worker's newer version, and retried). Writes run as
// the apply worker's do (no triggers) under the replication origin replkit_repair.
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type CompareNode, type KeyDifference, type TableCompare, compareTable } from '../compare/at-lsn.js'
import { type TableShape, fill, tableShape } from '../compare/shape.js'
import type { Config } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { waitForReplayPast } from '../replication/waits.js'
import { sqlText } from '../sql-files.js'

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
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const jsonArray = (items: string[]) => `[${items.join(',')}]`

interface Row {
  hash: string
  row: string
}

interface Texts {
  settings: string
  snapshot: string
  byKey: string
  asWorker: string
  lock: string
  del: string
  upd: string
  ins: string
}

async function texts(shape: TableShape): Promise<Texts> {
  const load = async (path: string) => fill(shape, null, await sqlText(path))
  const [settings, snapshot, byKey, asWorker, lock, del, upd, ins] = await Promise.all([
    sqlText('sql/compare/040_hash_settings.sql'),
    sqlText('sql/compare/030_snapshot_lsn.sql'),
    load('sql/compare/080_rows_by_key.sql'),
    sqlText('sql/repair/015_as_the_apply_worker.sql'),
    load('sql/repair/020_lock_rows.sql'),
    load('sql/repair/030_delete_extra.sql'),
    load('sql/repair/040_update_different.sql'),
    load('sql/repair/050_insert_missing.sql'),
  ])
  return { settings, snapshot, byKey, asWorker, lock, del, upd, ins }
}

type Action = 'delete' | 'update' | 'insert'

/** The statements that make the replica's rows the PRIMARY's, with the rows as literals: what runs is what --dry-run prints. */
export function repairStatements(
  t: Pick<Texts, 'del' | 'upd' | 'ins'>,
  plan: { deleteKeys: string[]; update: string[]; insert: string[] },
): { action: Action; sql: string }[] {
  const out: { action: Action; sql: string }[] = []
  const rows = (items: string[]) => literal(jsonArray(items))
  if (plan.deleteKeys.length) out.push({ action: 'delete', sql: t.del.replaceAll('{{rows}}', rows(plan.deleteKeys)) })
  if (plan.update.length) out.push({ action: 'update', sql: t.upd.replaceAll('{{rows}}', rows(plan.update)) })
  if (plan.insert.length) out.push({ action: 'insert', sql: t.ins.replaceAll('{{rows}}', rows(plan.insert)) })
  return out
}

/** What a batch does to each key, given the PRIMARY's rows and the replica's (key → row). */
export function planBatch(keys: string[], primary: Map<string, Row>, replica: Map<string, Row>) {
  const plan = {
    deleteKeys: [] as string[],
    update: [] as string[],
    insert: [] as string[],
    overwritten: [] as { key: string; row: string; action: 'delete' | 'update' }[],
    alreadyRight: 0,
  }
  for (const key of keys) {
    const p = primary.get(key)
    const r = replica.get(key)
    if (!p && r) {
      plan.deleteKeys.push(key)
      plan.overwritten.push({ key, row: r.row, action: 'delete' })
    } else if (p && !r) plan.insert.push(p.row)
    else if (p && r && p.hash !== r.hash) {
      plan.update.push(p.row)
      plan.overwritten.push({ key, row: r.row, action: 'update' })
    } else plan.alreadyRight++
  }
  return plan
}

const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter(l => !l.startsWith('--'))
    .join('\n')
    .trim()

class PrimaryMoved extends Error {
  constructor(readonly keys: string[]) {
    super('the PRIMARY changed rows of the batch')
  }
}

/** key → hash and whole row, from a query returning key, hash, row (080 or the lock). */
const rowMap = (result: Iterable<Record<string, unknown>>) =>
  new Map<string, Row>([...result].map(r => [r.key as string, { hash: r.hash as string, row: r.row as string }]))

/** A replica's rows for the keys as they stand, hashed as the PRIMARY's are. */
async function rowsOn(sql: Sql, t: Texts, keys: string[]): Promise<Map<string, Row>> {
  return sql.begin(async tx => {
    await tx.unsafe(t.settings)
    return rowMap(await tx.unsafe(t.byKey, [jsonArray(keys)]))
  }) as Promise<Map<string, Row>>
}

/** The PRIMARY's rows for the keys, at a snapshot, and the LSN that snapshot does not go past. */
async function primaryRows(sql: Sql, t: Texts, keys: string[]): Promise<{ lsn: string; rows: Map<string, Row> }> {
  return sql.begin('isolation level repeatable read read only', async tx => {
    await tx.unsafe(t.settings)
    const [{ lsn }] = await tx.unsafe(t.snapshot)
    return { lsn: lsn as string, rows: rowMap(await tx.unsafe(t.byKey, [jsonArray(keys)])) }
  }) as Promise<{ lsn: string; rows: Map<string, Row> }>
}

interface BatchResult {
  deleted: number
  updated: number
  inserted: number
  alreadyRight: number
}

async function repairBatch(
  primary: CompareNode,
  replica: Sql,
  subscription: string | null,
  shape: TableShape,
  t: Texts,
  keys: string[],
  save: (lines: string) => Promise<void>,
  timeoutMs: number,
): Promise<BatchResult> {
  const before = await primaryRows(primary.sql, t, keys)
  if (subscription) await waitForReplayPast(primary.sql, [subscription], before.lsn, timeoutMs, 5)
  return replica.begin(async tx => {
    await tx.unsafe(t.settings)
    await tx.unsafe(t.asWorker)
    const current = rowMap(await tx.unsafe(t.lock.replaceAll('{{rows}}', literal(jsonArray(keys)))))
    const plan = planBatch(keys, before.rows, current)
    // Saved before anything is overwritten: one JSON line per row, with what the repair does to it.
    if (plan.overwritten.length)
      await save(plan.overwritten.map(o => `{"action":"${o.action}","key":${o.key},"row":${o.row}}\n`).join(''))
    const result: BatchResult = { deleted: 0, updated: 0, inserted: 0, alreadyRight: plan.alreadyRight }
    const [del, upd, ins] = [plan.deleteKeys.length, plan.update.length, plan.insert.length]
    const counter = { delete: 'deleted', update: 'updated', insert: 'inserted' } as const
    for (const statement of repairStatements(t, plan))
      result[counter[statement.action]] += (await tx.unsafe(statement.sql)).count
    if (result.deleted !== del || result.updated !== upd || result.inserted !== ins) {
      throw new ReplkitError(
        `repair of ${shape.table}: a batch wrote ${result.deleted}/${result.updated}/${result.inserted} rows (delete/update/insert) where ${del}/${upd}/${ins} were planned; rolled back`,
      )
    }
    // Still the PRIMARY's rows? A key it changed since is the apply worker's to bring: roll back, retry.
    const after = await primaryRows(primary.sql, t, keys)
    const moved = keys.filter(k => after.rows.get(k)?.hash !== before.rows.get(k)?.hash)
    if (moved.length) throw new PrimaryMoved(moved)
    return result
  }) as Promise<BatchResult>
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-')

export interface RepairTarget {
  config: Config
  primary: CompareNode
  /**
   * The replica; its sql is a connection of the repair's own (the replication origin is per
   * session). subscription null: a table nothing replicates (nothing to wait for or race).
   */
  replica: CompareNode & { subscription: string | null }
}

/** The rows of table that differ on the replica, repaired (or, under --dry-run, the SQL printed). */
export async function repairTable(
  target: RepairTarget,
  table: string,
  opts: RepairOptions,
  known?: TableCompare,
): Promise<TableRepair> {
  const started = performance.now()
  const { primary, replica, config } = target
  const shape = await tableShape(primary.sql, table)
  const theirs = await tableShape(replica.sql, table).catch(() => null)
  const names = (s: TableShape) =>
    s.columns
      .map(c => c.name)
      .sort()
      .join(',')
  if (!theirs || names(theirs) !== names(shape)) {
    throw new ReplkitError(
      `${table} on ${replica.name} has other columns than on the PRIMARY: make check names the DDL that aligns them; repair only rows of equal tables`,
    )
  }
  const t = await texts(shape)
  const diff = known ?? (await compareTable(primary, [replica], table, { rows: true, timeoutMs: opts.timeoutMs }))
  const result: TableRepair = {
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
  if (diff.differences === null) {
    throw new ReplkitError(
      `${table} on ${replica.name}: ${diff.tooManyRows} rows lie in differing blocks, too many to repair row by row: make sync ARGS="--replica ${replica.name} --yes" copies every table again in one transaction`,
    )
  }
  const differing: KeyDifference[] = diff.differences.filter(d => d.nodes[replica.name])
  result.found = differing.length
  result.savedKeys = differing.filter(d => d.nodes[replica.name] !== 'missing').map(d => d.key)
  if (differing.length > opts.maxRows) {
    throw new ReplkitError(
      `${table} on ${replica.name}: ${differing.length} rows differ, more than --max-rows ${opts.maxRows}: make sync ARGS="--replica ${replica.name} --yes" copies every table again in one transaction`,
    )
  }
  const unsettled = diff.replicas[0].unsettled
  if (!differing.length && !unsettled) return { ...result, after: 'equal', ms: performance.now() - started }
  opts.say(
    `${replica.name}: ${table} has ${differing.length} differing row${differing.length === 1 ? '' : 's'} (${count(differing, replica.name)}; ` +
      `${diff.rounds} round${diff.rounds === 1 ? '' : 's'} at an LSN)${unsettled ? `, ${unsettled} block${unsettled === 1 ? '' : 's'} or row${unsettled === 1 ? '' : 's'} still being written (left to the apply worker)` : ''}`,
  )
  if (!differing.length) return { ...result, after: 'unsettled', ms: performance.now() - started }

  const keys = differing.map(d => d.keyJson)
  const batches: string[][] = []
  for (let i = 0; i < keys.length; i += opts.batchSize) batches.push(keys.slice(i, i + opts.batchSize))

  if (opts.dryRun) {
    for (const [i, batch] of batches.entries()) {
      const now = await primaryRows(primary.sql, t, batch)
      const statements = repairStatements(t, planBatch(batch, now.rows, await rowsOn(replica.sql, t, batch)))
      const lock = t.lock.replaceAll('{{rows}}', literal(jsonArray(batch)))
      console.log(
        `-- ${replica.name}: batch ${i + 1} of ${batches.length}, with the rows as the PRIMARY holds them now; the rows the lock returns are saved before the writes, ` +
          `and the transaction commits only if the PRIMARY still holds these rows after them\n` +
          `BEGIN;\n${withoutComments(t.settings)}\n${withoutComments(t.asWorker)}\n${[lock, ...statements.map(s => s.sql)].map(withoutComments).join('\n')}\nCOMMIT;`,
      )
    }
    return { ...result, ms: performance.now() - started }
  }

  const dir = join(config.saveDir, `${stamp()}-${replica.name}-repair`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = join(dir, `${table}.jsonl`)
  await writeFile(file, '', { mode: 0o600 })
  await chmod(file, 0o600)
  await writeFile(
    join(dir, 'README.txt'),
    `Rows of ${replica.name}'s ${table} that make repair deleted or overwrote (${new Date().toISOString()}), one JSON line each:\n` +
      `{"action": "delete"|"update", "key": {...}, "row": {the row as it was}}. Put one back with:\n` +
      `  INSERT INTO public.${table} SELECT * FROM jsonb_populate_record(NULL::public.${table}, '<row>') ON CONFLICT DO NOTHING;\n`,
  )
  result.savedFile = file
  const save = (lines: string) => appendFile(file, lines)

  let queue = batches
  for (let attempt = 1; queue.length && attempt <= ATTEMPTS; attempt++) {
    const retry: string[] = []
    for (const batch of queue) {
      try {
        const done = await repairBatch(
          primary,
          replica.sql,
          replica.subscription,
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
        // The apply worker got there first: it holds a lock past lock_timeout, or inserted a row
        // this batch inserts (the PRIMARY deleted and re-created it). The batch is rolled back; again later.
        const code = (error as { code?: string }).code
        if (code === '23505' || code === '55P03') {
          retry.push(...batch)
          continue
        }
        if (!(error instanceof PrimaryMoved)) throw error
        // Keys the PRIMARY did not touch go again at once; the moved ones after the rest.
        const moved = new Set(error.keys)
        const still = batch.filter(k => !moved.has(k))
        if (still.length) queue.push(still)
        retry.push(...moved)
      }
    }
    queue = retry.length ? [retry] : []
  }
  result.stillWritten = queue.flat()
  // The proof: the repaired keys compared again at an LSN the replica reached (the rest of the table was equal).
  const check = await compareTable(primary, [replica], table, { rows: true, timeoutMs: opts.timeoutMs, keys })
  result.after = check.replicas[0].state
  result.ms = performance.now() - started
  return result
}

function count(differing: KeyDifference[], replica: string): string {
  const n = (state: string) => differing.filter(d => d.nodes[replica] === state).length
  return `${n('missing')} missing, ${n('different')} different, ${n('extra')} extra`
}
