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
// Reading is read.ts; judging each block and key, and what to read next, is tally.ts.
import { type Sql, connect } from '../db.js'
import { differingColumns } from './columns.js'
import { type Ctx, NOTHING, type Request, inTransaction, isEmpty, parts, read, readRound, texts } from './read.js'
import { type Side, type TableShape, outgrown, planBlocks, sameColumnOrder, tableShape } from './shape.js'
import { Tally } from './tally.js'
import type { OpenNode } from '../node.js'
import type { BlockTotal, CompareOptions, KeyDifference, TableCompare } from './types.js'

export type * from './types.js'

/** Tables from this size are read on every node at once (a second connection to the PRIMARY waits). */
const PARALLEL_FROM_ROWS = 50_000
const MAX_ROUNDS = 8
/** Up to this many pending keys, rounds of keys alone go on to 3 × MAX_ROUNDS. */
const KEY_ROUNDS_UP_TO = 10_000
/** Rows whose differing columns are named (each is one more primary-key lookup per node). */
const DESCRIBE_LIMIT = 1000

/** The table's shape, its blocks and the SQL that reads them (keys alone need no blocks, nor the PRIMARY's sample). */
async function prepare(primary: OpenNode, replicas: OpenNode[], table: string, opts: CompareOptions): Promise<Ctx> {
  const shape = await tableShape(primary.sql, table, opts.publication ?? null)
  // A table sent in part is hashed over its published columns; whole rows would carry the others.
  shape.wholeRow =
    !shape.inPart &&
    (await sameColumnOrder(
      shape,
      replicas.map(r => r.sql),
    ))
  return planned(primary, shape, opts)
}

/** The blocks for the shape's rows, and the SQL that reads them. */
async function planned(primary: OpenNode, shape: TableShape, opts: CompareOptions): Promise<Ctx> {
  const plan = opts.keys ? { kind: 'range' as const, bounds: [] } : await planBlocks(primary.sql, shape)
  return {
    shape,
    plan,
    timeoutMs: opts.timeoutMs,
    param: plan.kind === 'range' ? plan.bounds : plan.buckets - 1,
    texts: { primary: await texts(shape, plan, 'primary'), replica: await texts(shape, plan, 'replica') },
  }
}

/**
 * Rounds until nothing is pending, the table is proven different (without rows wanted), or the
 * rounds run out. Returns how many ran; recount: the rows the first round counted, when they are
 * far more than the blocks were planned for and something differs (stop: plan again).
 */
async function runRounds(
  ctx: Ctx,
  primary: OpenNode,
  replicas: OpenNode[],
  waiter: Sql | null,
  tally: Tally,
  opts: CompareOptions,
): Promise<{ rounds: number; recount: number | null; firstRoundEnded: number }> {
  const maxRounds = opts.maxRounds ?? MAX_ROUNDS
  // Rounds of keys alone are primary-key lookups: a few more of them let rows written many times a second settle.
  const keysOnly = (r: Request) => !r.allBlocks && !r.blocks.length && !r.rowBlocks.length
  const more = (r: Request, rounds: number) =>
    rounds < maxRounds || (keysOnly(r) && r.keys.length <= KEY_ROUNDS_UP_TO && rounds < 3 * maxRounds)
  let req: Request = opts.keys ? { ...NOTHING, keys: opts.keys } : { ...NOTHING, allBlocks: true }
  let rounds = 0
  let firstRoundEnded = performance.now()
  while (!isEmpty(req) && more(req, rounds)) {
    rounds++
    const next = { pendingBlocks: [] as number[], keys: [] as string[] }
    // A round is read in parts of bounded size (each at its own LSN): the client holds one part at a time.
    for (const part of parts(req, tally.blockSize)) {
      const [p, r] = await readRound(ctx, primary, replicas, waiter, part, tally.keyBlock)
      // Keys are read on the PRIMARY again right after the replicas: a row rewritten many times a
      // second is then seen on both sides of what the replicas held, so their version is among
      // the PRIMARY's (history) unless it really differs.
      const pAfter = part.keys.length
        ? await inTransaction(primary.sql, ctx, 'read only', tx => read(tx, ctx, 'primary', part, tally.keyBlock))
        : null
      tally.record({ part, p, r, pAfter }, next)
    }
    req = tally.nextRequest(next.pendingBlocks, next.keys, opts.rows)
    if (rounds === 1) firstRoundEnded = performance.now()
    if (rounds === 1 && !opts.keys && !isEmpty(req)) {
      const counted = tally.rowsSummed()
      if (outgrown(ctx.plan, counted)) return { rounds, recount: counted, firstRoundEnded }
    }
    // Without rows wanted, a table is done once every replica it differs on has a proven difference.
    if (!opts.rows && tally.provenOnEvery(replicas.length)) break
  }
  return { rounds, recount: null, firstRoundEnded }
}

/** The rounds with their own tally, reading every node at once when the table is large. */
async function compareRounds(ctx: Ctx, primary: OpenNode, replicas: OpenNode[], opts: CompareOptions) {
  const waiter = ctx.shape.estimatedRows >= PARALLEL_FROM_ROWS && !opts.keys ? connect(primary.spec, { max: 1 }) : null
  const tally = new Tally()
  try {
    return { tally, ...(await runRounds(ctx, primary, replicas, waiter, tally, opts)) }
  } finally {
    await waiter?.end({ timeout: 1 })
  }
}

/** Fills in which columns differ for the first DESCRIBE_LIMIT 'different' keys (one lookup per node). */
async function nameColumns(
  ctx: Ctx,
  primary: OpenNode,
  replicas: OpenNode[],
  differences: KeyDifference[],
): Promise<void> {
  const different = differences.filter(d => Object.values(d.nodes).includes('different')).slice(0, DESCRIBE_LIMIT)
  if (!different.length) return
  const keys = `[${different.map(d => d.keyJson).join(',')}]`
  const rowsOf = async (sql: Sql, side: Side) =>
    new Map(
      (
        await inTransaction(sql, ctx, 'read only', async tx => [...(await tx.unsafe(ctx.texts[side].byKey, [keys]))])
      ).map(r => [r.key as string, r.texts as string]),
    )
  const [p, ...r] = await Promise.all([rowsOf(primary.sql, 'primary'), ...replicas.map(n => rowsOf(n.sql, 'replica'))])
  const columns = ctx.shape.columns.map(c => c.name)
  for (const d of different) {
    replicas.forEach((rep, i) => {
      const pr = p.get(d.keyJson)
      const rr = r[i].get(d.keyJson)
      if (d.nodes[rep.name] === 'different' && pr && rr) d.columns[rep.name] = differingColumns(columns, pr, rr)
    })
  }
}

const totalsByNode = (totals: BlockTotal[], primary: OpenNode, replicas: OpenNode[]) =>
  Object.fromEntries([primary, ...replicas].map((node, i) => [node.name, totals[i]]))

export async function compareTable(
  primary: OpenNode,
  replicas: OpenNode[],
  table: string,
  opts: CompareOptions,
): Promise<TableCompare> {
  const started = performance.now()
  let ctx = await prepare(primary, replicas, table, opts)
  let { tally, rounds, recount, firstRoundEnded } = await compareRounds(ctx, primary, replicas, opts)
  if (recount !== null) {
    // The statistics promised far fewer rows than the table holds (an ANALYZE that ran while a
    // load was uncommitted counts its pages, not its rows): blocks too big to narrow. Once more,
    // cut for the rows counted.
    ctx = await planned(primary, { ...ctx.shape, estimatedRows: recount }, opts)
    const again = await compareRounds(ctx, primary, replicas, opts)
    tally = again.tally
    rounds += again.rounds
    firstRoundEnded = again.firstRoundEnded
  }
  const differences = opts.rows ? tally.differences(ctx.shape, replicas) : null
  if (differences) await nameColumns(ctx, primary, replicas, differences)
  return {
    table,
    rounds,
    blocks: ctx.plan.kind === 'range' ? ctx.plan.bounds.length + 1 : ctx.plan.buckets,
    blockKind: ctx.plan.kind,
    replicas: tally.verdicts(replicas),
    differences,
    tooManyRows: opts.rows ? tally.tooManyRows() : null,
    ...(tally.totals ? { totals: totalsByNode(tally.totals, primary, replicas) } : {}),
    ms: performance.now() - started,
    narrowingMs: performance.now() - firstRoundEnded,
  }
}
