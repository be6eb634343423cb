// One batch of a repair: the PRIMARY's rows for its keys at a snapshot, the replica's rows locked
// and saved, the statements that make them equal, and the check that the PRIMARY did not move.
import type { OpenNode } from '../node.js'
import { type Side, type TableShape, fill } from '../compare/shape.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { waitForReplayPast } from '../replication/waits.js'
import { sqlText } from '../sql-files.js'

export const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
export const jsonArray = (items: string[]) => `[${items.join(',')}]`

interface Row {
  hash: string
  row: string
}

export interface Texts {
  settings: string
  snapshot: string
  /** A batch's rows by key on the replica, and on the PRIMARY (through the publication's row filter). */
  byKey: string
  byKeyPrimary: string
  asWorker: string
  lock: string
  del: string
  upd: string
  ins: string
}

export async function texts(shape: TableShape): Promise<Texts> {
  const load = async (path: string, side: Side = 'replica') => fill(shape, null, await sqlText(path), side)
  const [settings, snapshot, byKey, byKeyPrimary, asWorker, lock, del, upd, ins] = await Promise.all([
    sqlText('sql/compare/040_hash_settings.sql'),
    sqlText('sql/compare/030_snapshot_lsn.sql'),
    load('sql/compare/080_rows_by_key.sql'),
    load('sql/compare/080_rows_by_key.sql', 'primary'),
    sqlText('sql/repair/015_as_the_apply_worker.sql'),
    load('sql/repair/020_lock_rows.sql'),
    load('sql/repair/030_delete_extra.sql'),
    load('sql/repair/040_update_different.sql'),
    load('sql/repair/050_insert_missing.sql'),
  ])
  return { settings, snapshot, byKey, byKeyPrimary, asWorker, lock, del, upd, ins }
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

export const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter(l => !l.startsWith('--'))
    .join('\n')
    .trim()

export class PrimaryMoved extends Error {
  constructor(readonly keys: string[]) {
    super('the PRIMARY changed rows of the batch')
  }
}

/** key → hash and whole row, from a query returning key, hash, row (080 or the lock). */
const rowMap = (result: Iterable<Record<string, unknown>>) =>
  new Map<string, Row>([...result].map(r => [r.key as string, { hash: r.hash as string, row: r.row as string }]))

/** A replica's rows for the keys as they stand, hashed as the PRIMARY's are. */
export async function rowsOn(sql: Sql, t: Texts, keys: string[]): Promise<Map<string, Row>> {
  return sql.begin(async tx => {
    await tx.unsafe(t.settings)
    return rowMap(await tx.unsafe(t.byKey, [jsonArray(keys)]))
  }) as Promise<Map<string, Row>>
}

/** The PRIMARY's rows for the keys, at a snapshot, and the LSN that snapshot does not go past. */
export async function primaryRows(
  sql: Sql,
  t: Texts,
  keys: string[],
): Promise<{ lsn: string; rows: Map<string, Row> }> {
  return sql.begin('isolation level repeatable read read only', async tx => {
    await tx.unsafe(t.settings)
    const [{ lsn }] = await tx.unsafe(t.snapshot)
    return { lsn: lsn as string, rows: rowMap(await tx.unsafe(t.byKeyPrimary, [jsonArray(keys)])) }
  }) as Promise<{ lsn: string; rows: Map<string, Row> }>
}

export interface BatchResult {
  deleted: number
  updated: number
  inserted: number
  alreadyRight: number
}

export async function repairBatch(
  primary: OpenNode,
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
