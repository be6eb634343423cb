// Reading a table for a comparison at an LSN: the PRIMARY in a REPEATABLE READ snapshot with an
// LSN the snapshot does not go past, then every replica once it has applied past that LSN. What
// is read is a request: block sums (all, or some), blocks row by row, or keys; a round's request
// is cut into parts of bounded size, so the client holds one part at a time.
import type { Sql } from '../db.js'
import { waitForNoOpenApply, waitForReplayPast } from '../replication/waits.js'
import { sqlText } from '../sql-files.js'
import type { OpenNode } from '../node.js'
import { type BlockPlan, type Side, type TableShape, fill } from './shape.js'

/** Rows (or keys) read in one part of a round: what the client holds at a time. */
const PART_ROWS = 100_000

/** unit → value: a block ("b12") → "rows:sum", a key ("k" + jsonb text) → its row's hash. */
export type Values = Map<string, string>
export const blockUnit = (b: number) => `b${b}`
export const EMPTY_BLOCK = '0:0'

export interface Request {
  allBlocks: boolean
  blocks: number[]
  rowBlocks: number[]
  keys: string[]
}

export const NOTHING: Request = { allBlocks: false, blocks: [], rowBlocks: [], keys: [] }
export const isEmpty = (r: Request) => !r.allBlocks && !r.blocks.length && !r.rowBlocks.length && !r.keys.length

/** What every read of one comparison shares: the table's shape, its blocks, the SQL, the deadline. */
export interface Ctx {
  shape: TableShape
  plan: BlockPlan
  param: unknown
  /** The queries as the replicas run them, and as the PRIMARY does (through a row filter, if any). */
  texts: Record<Side, Record<string, string>>
  timeoutMs: number
}

export async function texts(shape: TableShape, plan: BlockPlan, side: Side): Promise<Record<string, string>> {
  const load = async (file: string) => fill(shape, plan, await sqlText(`sql/compare/${file}`), side)
  const [settings, snapshot, all, byRange, byHash, rowsRange, rowsHash, byKey] = await Promise.all([
    sqlText('sql/compare/040_hash_settings.sql'),
    sqlText('sql/compare/030_snapshot_lsn.sql'),
    load('050_blocks.sql'),
    load('060_blocks_by_range.sql'),
    load('065_blocks_by_hash.sql'),
    load('070_rows_by_range.sql'),
    load('075_rows_by_hash.sql'),
    load('080_rows_by_key.sql'),
  ])
  const range = plan.kind === 'range'
  return { settings, snapshot, all, some: range ? byRange : byHash, rows: range ? rowsRange : rowsHash, byKey }
}

/** Reads what the request asks on one node, inside its transaction: unit → value. */
export async function read(tx: Sql, ctx: Ctx, side: Side, req: Request, blockOf: Map<string, number>): Promise<Values> {
  const texts = ctx.texts[side]
  const values: Values = new Map()
  const blocks = async (text: string, params: unknown[]) => {
    await tx.unsafe(text, params as never[]).forEach(r => {
      values.set(blockUnit(r.block), `${r.rows}:${r.sum}`)
    })
  }
  if (req.allBlocks) await blocks(texts.all, [ctx.param])
  if (req.blocks.length) await blocks(texts.some, [ctx.param, req.blocks])
  if (req.rowBlocks.length) {
    await tx.unsafe(texts.rows, [ctx.param, req.rowBlocks] as never[]).forEach(r => {
      values.set(`k${r.key}`, r.hash)
      blockOf.set(`k${r.key}`, r.block)
    })
  }
  if (req.keys.length) {
    for (const r of await tx.unsafe(texts.byKey, [`[${req.keys.join(',')}]`] as never[]))
      values.set(`k${r.key}`, r.hash)
  }
  return values
}

/** fn in a transaction with the hashing settings pinned and the comparison's statement bound. */
export async function inTransaction<T>(sql: Sql, ctx: Ctx, isolation: string, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(isolation, async tx => {
    await tx.unsafe(ctx.texts.replica.settings)
    await tx.unsafe(`set local statement_timeout = ${Math.ceil(ctx.timeoutMs)}`)
    return fn(tx as unknown as Sql)
  }) as Promise<T>
}

/** One round: the PRIMARY at a snapshot and its LSN, then every replica once past that LSN. */
export async function readRound(
  ctx: Ctx,
  primary: OpenNode,
  replicas: OpenNode[],
  waiter: Sql | null,
  req: Request,
  blockOf: Map<string, number>,
): Promise<[Values, Values[]]> {
  const subscriptions = replicas.map(r => r.subscription).filter((s): s is string => !!s)
  let snapshotTaken!: (lsn: string) => void
  const lsn = new Promise<string>(resolve => {
    snapshotTaken = resolve
  })
  const onPrimary = inTransaction(primary.sql, ctx, 'isolation level repeatable read read only', async tx => {
    const [{ lsn: at }] = await tx.unsafe(ctx.texts.primary.snapshot)
    snapshotTaken(at)
    return read(tx, ctx, 'primary', req, blockOf)
  })
  const readReplicas = async (at: string) => {
    await waitForReplayPast(waiter ?? primary.sql, subscriptions, at, ctx.timeoutMs, 5)
    const applying = replicas.flatMap(r => (r.subscription ? [{ sql: r.sql, subscription: r.subscription }] : []))
    await waitForNoOpenApply(waiter ?? primary.sql, applying, ctx.timeoutMs, 5)
    return Promise.all(
      replicas.map(r => inTransaction(r.sql, ctx, 'read only', tx => read(tx, ctx, 'replica', req, blockOf))),
    )
  }
  if (waiter) {
    // Replicas read while the PRIMARY's snapshot is read: a failure of either ends the round.
    const at = await Promise.race([lsn, onPrimary.then(() => lsn)])
    const [p, r] = await Promise.all([onPrimary, readReplicas(at)])
    return [p, r]
  }
  const p = await onPrimary
  return [p, await readReplicas(await lsn)]
}

/** A round's request cut into parts of at most PART_ROWS rows or keys: block sums first, then row blocks, then keys. */
export function* parts(req: Request, blockSize: Map<number, number>): Generator<Request> {
  if (req.allBlocks || req.blocks.length) yield { ...NOTHING, allBlocks: req.allBlocks, blocks: req.blocks }
  let chunk: number[] = []
  let rows = 0
  for (const b of req.rowBlocks) {
    if (chunk.length && rows + (blockSize.get(b) ?? 0) > PART_ROWS) {
      yield { ...NOTHING, rowBlocks: chunk }
      chunk = []
      rows = 0
    }
    chunk.push(b)
    rows += blockSize.get(b) ?? 0
  }
  if (chunk.length) yield { ...NOTHING, rowBlocks: chunk }
  for (let i = 0; i < req.keys.length; i += PART_ROWS) yield { ...NOTHING, keys: req.keys.slice(i, i + PART_ROWS) }
}
