// A table compared between the PRIMARY and its replicas while the PRIMARY keeps taking writes.
// Each round reads the PRIMARY in a REPEATABLE READ snapshot together with an LSN the snapshot
// does not go past, waits until every streaming replica has applied past that LSN, then reads
// the replicas (started as soon as they are there, while the PRIMARY's read still runs). A block
// (or key) that matches is settled; one that differs is read again in the next round, and is a
// difference only when neither side changed it between the two rounds: the replica had then
// applied everything the PRIMARY's earlier snapshot held and still disagrees (a write caught in
// the window between snapshots changes one side, so it is read again, never reported). Blocks
// holding few rows are read row by row, so a row still being written does not hide a real
// difference beside it; what never holds still is reported as still being written.
import type { NodeSpec } from '../config.js'
import { type Sql, connect } from '../db.js'
import { waitForNoOpenApply, waitForReplayPast } from '../replication/waits.js'
import { sqlText } from '../sql-files.js'
import { differingColumns } from './columns.js'
import { type BlockPlan, type TableShape, displayKey, fill, planBlocks, sameColumnOrder, tableShape } from './shape.js'

export type KeyState = 'missing' | 'different' | 'extra'

export interface KeyDifference {
  /** The key as an operator reads it; keyJson identifies the row to the database. */
  key: string
  keyJson: string
  /** replica name → how its row differs from the PRIMARY's (replicas that agree are absent). */
  nodes: Record<string, KeyState>
  /** replica name → the columns that differ, for keys that are 'different' there. */
  columns: Record<string, string[]>
}

export interface CompareNode {
  name: string
  sql: Sql
  spec: NodeSpec
  /** The subscription streaming the PRIMARY's changes to it; null: it is not applying (compared as it stands). */
  subscription?: string | null
}

export interface ReplicaVerdict {
  name: string
  state: 'equal' | 'differs' | 'unsettled'
  /** Blocks found different (each ~150 rows). */
  differingBlocks: number
  /** Blocks and keys still changing in every round, not compared. */
  unsettled: number
}

export interface TableCompare {
  table: string
  rounds: number
  blocks: number
  blockKind: BlockPlan['kind']
  replicas: ReplicaVerdict[]
  /** Listed in rows mode; null when the differing blocks hold more than LIST_LIMIT rows. */
  differences: KeyDifference[] | null
  /** Rows in the differing blocks when they are too many to list. */
  tooManyRows: number | null
  ms: number
}

export interface CompareOptions {
  /** Narrow differences down to keys (--diff, repair); otherwise stop once a block is proven different. */
  rows: boolean
  timeoutMs: number
  maxRounds?: number
  /** Compare only these keys (jsonb key objects as at-lsn returns them): a repair's proof. */
  keys?: string[]
}

/** Differing blocks holding up to this many rows in all are listed row by row; more is "too many". */
const LIST_LIMIT = 1_000_000
/** Rows (or keys) read in one part of a round: what the client holds at a time. */
const PART_ROWS = 100_000
/** Tables from this size are read on every node at once (a second connection to the PRIMARY waits). */
const PARALLEL_FROM_ROWS = 50_000
const MAX_ROUNDS = 8
/** Up to this many pending keys, rounds of keys alone go on to 3 × MAX_ROUNDS. */
const KEY_ROUNDS_UP_TO = 10_000
/** Rows whose differing columns are named (each is one more primary-key lookup per node). */
const DESCRIBE_LIMIT = 1000

type Values = Map<string, string>
/** A unit is a block ("b12") or a key ("k" + jsonb text). */
const blockUnit = (b: number) => `b${b}`
const EMPTY_BLOCK = '0:0'

interface Request {
  allBlocks: boolean
  blocks: number[]
  rowBlocks: number[]
  keys: string[]
}

interface Ctx {
  shape: TableShape
  plan: BlockPlan
  param: unknown
  texts: Record<string, string>
  timeoutMs: number
}

async function texts(shape: TableShape, plan: BlockPlan): Promise<Record<string, string>> {
  const load = async (file: string) => fill(shape, plan, await sqlText(`sql/compare/${file}`))
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
async function read(tx: Sql, ctx: Ctx, req: Request, blockOf: Map<string, number>): Promise<Values> {
  const values: Values = new Map()
  const blocks = async (text: string, params: unknown[]) => {
    await tx.unsafe(text, params as never[]).forEach(r => {
      values.set(blockUnit(r.block), `${r.rows}:${r.sum}`)
    })
  }
  if (req.allBlocks) await blocks(ctx.texts.all, [ctx.param])
  if (req.blocks.length) await blocks(ctx.texts.some, [ctx.param, req.blocks])
  if (req.rowBlocks.length) {
    await tx.unsafe(ctx.texts.rows, [ctx.param, req.rowBlocks] as never[]).forEach(r => {
      values.set(`k${r.key}`, r.hash)
      blockOf.set(`k${r.key}`, r.block)
    })
  }
  if (req.keys.length) {
    for (const r of await tx.unsafe(ctx.texts.byKey, [`[${req.keys.join(',')}]`] as never[]))
      values.set(`k${r.key}`, r.hash)
  }
  return values
}

/** fn in a transaction with the hashing settings pinned and the comparison's statement bound. */
async function inTransaction<T>(sql: Sql, ctx: Ctx, isolation: string, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin(isolation, async tx => {
    await tx.unsafe(ctx.texts.settings)
    await tx.unsafe(`set local statement_timeout = ${Math.ceil(ctx.timeoutMs)}`)
    return fn(tx as unknown as Sql)
  }) as Promise<T>
}

/** One round: the PRIMARY at a snapshot and its LSN, then every replica once past that LSN. */
async function readRound(
  ctx: Ctx,
  primary: CompareNode,
  replicas: CompareNode[],
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
    const [{ lsn: at }] = await tx.unsafe(ctx.texts.snapshot)
    snapshotTaken(at)
    return read(tx, ctx, req, blockOf)
  })
  const readReplicas = async (at: string) => {
    await waitForReplayPast(waiter ?? primary.sql, subscriptions, at, ctx.timeoutMs, 5)
    const applying = replicas.flatMap(r => (r.subscription ? [{ sql: r.sql, subscription: r.subscription }] : []))
    await waitForNoOpenApply(waiter ?? primary.sql, applying, ctx.timeoutMs, 5)
    return Promise.all(replicas.map(r => inTransaction(r.sql, ctx, 'read only', tx => read(tx, ctx, req, blockOf))))
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

/** A unit's value on the PRIMARY and on each replica in one round (undefined: no such row). */
export interface Seen {
  p: string | undefined
  r: (string | undefined)[]
}

/** A round's request cut into parts of at most PART_ROWS rows or keys: block sums first, then row blocks, then keys. */
function* parts(req: Request, blockSize: Map<number, number>): Generator<Request> {
  const none = { allBlocks: false, blocks: [] as number[], rowBlocks: [] as number[], keys: [] as string[] }
  if (req.allBlocks || req.blocks.length) yield { ...none, allBlocks: req.allBlocks, blocks: req.blocks }
  let chunk: number[] = []
  let rows = 0
  for (const b of req.rowBlocks) {
    if (chunk.length && rows + (blockSize.get(b) ?? 0) > PART_ROWS) {
      yield { ...none, rowBlocks: chunk }
      chunk = []
      rows = 0
    }
    chunk.push(b)
    rows += blockSize.get(b) ?? 0
  }
  if (chunk.length) yield { ...none, rowBlocks: chunk }
  for (let i = 0; i < req.keys.length; i += PART_ROWS) yield { ...none, keys: req.keys.slice(i, i + PART_ROWS) }
}

/** Every value a unit had on the PRIMARY, and on each replica, in the rounds it was read. */
export interface History {
  p: Set<string | undefined>
  r: Set<string | undefined>[]
}

/**
 * A unit read in two rounds is different only if the PRIMARY's value and each disagreeing
 * replica's held still between them: the replica had then applied everything the first
 * snapshot held, and still disagrees. heldStill: the unit's block was seen unchanged already.
 * Equal: each replica holds, or held in an earlier round, a value the PRIMARY held in one of
 * them — a row written again in every round is still seen equal at some moment, as it is in a
 * single round when both reads agree.
 */
export function judge(
  now: Seen,
  before: Seen | undefined,
  heldStill: boolean,
  history?: History,
): 'equal' | 'different' | 'pending' {
  const met = (i: number) =>
    now.r[i] === now.p || (history !== undefined && [...history.r[i]].some(v => history.p.has(v)))
  if (now.r.every((_, i) => met(i))) return 'equal'
  if (heldStill) return 'different'
  const stable = before !== undefined && before.p === now.p && now.r.every((x, i) => x === now.p || x === before.r[i])
  return stable ? 'different' : 'pending'
}

/** Every unit any node returned (all are blocks when the whole table was summed). */
function unionOfKeys(maps: Values[]): Set<string> {
  const out = new Set<string>()
  for (const m of maps) for (const k of m.keys()) out.add(k)
  return out
}

const blockRows = (value: string | undefined) => Number((value ?? EMPTY_BLOCK).split(':')[0])

/** Sums key hashes of the rows read per block into the block's value, to tell whether a block held still. */
function blockOfRows(values: Values, rowsByBlock: Map<number, string[]>): Map<number, string> {
  const out = new Map<number, string>()
  for (const [block, keys] of rowsByBlock) {
    let rows = 0
    let sum = 0n
    for (const k of keys) {
      const h = values.get(k)
      if (h !== undefined) {
        rows++
        sum += BigInt(h)
      }
    }
    out.set(block, `${rows}:${sum}`)
  }
  return out
}

/** Fills in which columns differ for the first DESCRIBE_LIMIT 'different' keys (one lookup per node). */
async function nameColumns(
  ctx: Ctx,
  primary: CompareNode,
  replicas: CompareNode[],
  differences: KeyDifference[],
): Promise<void> {
  const different = differences.filter(d => Object.values(d.nodes).includes('different')).slice(0, DESCRIBE_LIMIT)
  if (!different.length) return
  const keys = `[${different.map(d => d.keyJson).join(',')}]`
  const rowsOf = async (sql: Sql) =>
    new Map(
      (await inTransaction(sql, ctx, 'read only', async tx => [...(await tx.unsafe(ctx.texts.byKey, [keys]))])).map(
        r => [r.key as string, r.texts as string],
      ),
    )
  const [p, ...r] = await Promise.all([primary, ...replicas].map(n => rowsOf(n.sql)))
  const columns = ctx.shape.columns.map(c => c.name)
  for (const d of different) {
    replicas.forEach((rep, i) => {
      const pr = p.get(d.keyJson)
      const rr = r[i].get(d.keyJson)
      if (d.nodes[rep.name] === 'different' && pr && rr) d.columns[rep.name] = differingColumns(columns, pr, rr)
    })
  }
}

export async function compareTable(
  primary: CompareNode,
  replicas: CompareNode[],
  table: string,
  opts: CompareOptions,
): Promise<TableCompare> {
  const started = performance.now()
  const shape = await tableShape(primary.sql, table)
  shape.wholeRow = await sameColumnOrder(
    shape,
    replicas.map(r => r.sql),
  )
  // Keys alone need no blocks (nor the PRIMARY's sample of them).
  const plan = opts.keys ? { kind: 'range' as const, bounds: [] } : await planBlocks(primary.sql, shape)
  const ctx: Ctx = {
    shape,
    plan,
    timeoutMs: opts.timeoutMs,
    param: plan.kind === 'range' ? plan.bounds : plan.buckets - 1,
    texts: await texts(shape, plan),
  }
  const blocks = plan.kind === 'range' ? plan.bounds.length + 1 : plan.buckets
  const waiter = shape.estimatedRows >= PARALLEL_FROM_ROWS && !opts.keys ? connect(primary.spec, { max: 1 }) : null
  const maxRounds = opts.maxRounds ?? MAX_ROUNDS

  const seen = new Map<string, Seen>() // a pending unit's values in the round before
  const confirmed = new Map<string, Seen>() // units proven different
  const keyBlock = new Map<string, number>() // a key read from a block → that block
  const age = new Map<string, number>() // rounds a unit has been pending
  const histories = new Map<string, History>() // a pending unit's values in every round so far
  const blockSize = new Map<number, number>() // a block's rows (the most any node holds) when last summed
  let req: Request = opts.keys
    ? { allBlocks: false, blocks: [], rowBlocks: [], keys: opts.keys }
    : { allBlocks: true, blocks: [], rowBlocks: [], keys: [] }
  let rounds = 0
  try {
    // Rounds of keys alone are primary-key lookups: a few more of them let rows written many times a second settle.
    const more = (r: Request) =>
      rounds < maxRounds ||
      (!r.allBlocks &&
        !r.blocks.length &&
        !r.rowBlocks.length &&
        r.keys.length <= KEY_ROUNDS_UP_TO &&
        rounds < 3 * maxRounds)
    while ((req.allBlocks || req.blocks.length || req.rowBlocks.length || req.keys.length) && more(req)) {
      rounds++
      const next: Request = { allBlocks: false, blocks: [], rowBlocks: [], keys: [] }
      const pendingBlocks: number[] = []
      // A round is read in parts of bounded size (each at its own LSN): the client holds one part at a time.
      for (const part of parts(req, blockSize)) {
        const [p, r] = await readRound(ctx, primary, replicas, waiter, part, keyBlock)
        const value = (vals: Values, unit: string) => vals.get(unit) ?? (unit[0] === 'b' ? EMPTY_BLOCK : undefined)
        // Keys are read on the PRIMARY again right after the replicas: a row rewritten many times a
        // second is then seen on both sides of what the replicas held, so their version is among
        // the PRIMARY's (history) unless it really differs.
        const pAfter = part.keys.length
          ? await inTransaction(primary.sql, ctx, 'read only', tx => read(tx, ctx, part, keyBlock))
          : null

        // Blocks read row by row: their keys, and whether the block held still since the round before.
        const asked = new Set(part.keys)
        const rowsByBlock = new Map<number, string[]>(part.rowBlocks.map(b => [b, []]))
        const keysRead = new Set(
          [...p.keys(), ...r.flatMap(v => [...v.keys()])].filter(u => u[0] === 'k' && !asked.has(u.slice(1))),
        )
        for (const unit of keysRead) rowsByBlock.get(keyBlock.get(unit)!)?.push(unit)
        const heldStill = new Set<number>()
        if (part.rowBlocks.length) {
          const pb = blockOfRows(p, rowsByBlock)
          const rb = r.map(v => blockOfRows(v, rowsByBlock))
          for (const b of part.rowBlocks) {
            const before = seen.get(blockUnit(b))
            if (before && before.p === pb.get(b) && rb.every((x, i) => before.r[i] === x.get(b))) heldStill.add(b)
            seen.delete(blockUnit(b))
            histories.delete(blockUnit(b))
          }
        }

        /** Records the unit's outcome; true while it is pending. */
        const pending = (unit: string, heldStill: boolean) => {
          const now: Seen = { p: value(p, unit), r: r.map(v => value(v, unit)) }
          const history = histories.get(unit) ?? { p: new Set(), r: r.map(() => new Set()) }
          history.p.add(now.p)
          if (pAfter) history.p.add(value(pAfter, unit))
          now.r.forEach((x, i) => {
            history.r[i].add(x)
          })
          const outcome = judge(now, seen.get(unit), heldStill, history)
          if (outcome === 'pending') {
            seen.set(unit, now)
            histories.set(unit, history)
            age.set(unit, (age.get(unit) ?? 0) + 1)
            return true
          }
          if (outcome === 'different') confirmed.set(unit, now)
          seen.delete(unit)
          histories.delete(unit)
          age.delete(unit)
          return false
        }

        const blockUnits = part.allBlocks ? unionOfKeys([p, ...r]) : part.blocks.map(blockUnit)
        for (const unit of blockUnits) {
          const b = Number(unit.slice(1))
          blockSize.set(b, Math.max(blockRows(value(p, unit)), ...r.map(v => blockRows(value(v, unit)))))
          if (pending(unit, false)) pendingBlocks.push(b)
        }
        for (const unit of keysRead)
          if (pending(unit, heldStill.has(keyBlock.get(unit)!))) next.keys.push(unit.slice(1))
        for (const key of asked) if (pending(`k${key}`, false)) next.keys.push(key)
      }

      // Pending blocks are read again: row by row when rows are wanted (or a block keeps changing:
      // its rows settle one by one) and they hold few enough rows to list, as block sums otherwise.
      const confirmedBlocks = [...confirmed.keys()].filter(u => u[0] === 'b').map(u => Number(u.slice(1)))
      const toRows = opts.rows
        ? [...pendingBlocks, ...confirmedBlocks]
        : pendingBlocks.filter(b => age.get(blockUnit(b))! >= 2)
      const listed = toRows.reduce((n, b) => n + (blockSize.get(b) ?? 0), 0)
      if (listed <= LIST_LIMIT && toRows.length) {
        const expanded = new Set(toRows)
        next.rowBlocks = toRows
        if (opts.rows)
          for (const b of confirmedBlocks) {
            seen.set(blockUnit(b), confirmed.get(blockUnit(b))!)
            confirmed.delete(blockUnit(b))
          }
        next.blocks = pendingBlocks.filter(b => !expanded.has(b))
      } else {
        next.blocks = pendingBlocks
      }
      // Without rows wanted, a table is done once every replica it differs on has a proven difference.
      if (
        !opts.rows &&
        replicas.every(
          (_, i) => [...confirmed.values()].some(c => c.r[i] !== c.p) || ![...seen.values()].some(s => s.r[i] !== s.p),
        )
      )
        break
      req = next
    }
  } finally {
    await waiter?.end({ timeout: 1 })
  }

  const differingOn = (units: Map<string, Seen>, i: number) => [...units.entries()].filter(([, v]) => v.r[i] !== v.p)
  const verdicts: ReplicaVerdict[] = replicas.map((rep, i) => {
    const proven = differingOn(confirmed, i)
    const unsettled = differingOn(seen, i).length
    return {
      name: rep.name,
      state: proven.length ? 'differs' : unsettled ? 'unsettled' : 'equal',
      differingBlocks: new Set(proven.map(([u]) => (u[0] === 'b' ? Number(u.slice(1)) : keyBlock.get(u)))).size,
      unsettled,
    }
  })
  const bigBlocks = [...confirmed.entries()].filter(([u]) => u[0] === 'b')
  const differences =
    !opts.rows || bigBlocks.length
      ? null
      : [...confirmed.entries()]
          .map(([unit, v]) => {
            const keyJson = unit.slice(1)
            const nodes: Record<string, KeyState> = {}
            replicas.forEach((rep, i) => {
              if (v.r[i] === v.p) return
              nodes[rep.name] = v.p === undefined ? 'extra' : v.r[i] === undefined ? 'missing' : 'different'
            })
            return { key: displayKey(shape, keyJson), keyJson, nodes, columns: {} }
          })
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  if (differences) await nameColumns(ctx, primary, replicas, differences)
  const tooManyRows =
    opts.rows && bigBlocks.length
      ? bigBlocks.reduce((n, [, v]) => n + Math.max(blockRows(v.p), ...v.r.map(blockRows)), 0)
      : null
  return {
    table,
    rounds,
    blocks,
    blockKind: plan.kind,
    replicas: verdicts,
    differences,
    tooManyRows,
    ms: performance.now() - started,
  }
}
