// The bookkeeping of a comparison at an LSN: what each block and key read on every node in each
// round, which ones are settled (equal, or proven different), which are still pending and read
// again, and what the next round asks for. No I/O: the rounds are read in read.ts.
import type { OpenNode } from '../node.js'
import type { BlockTotal, KeyDifference, KeyState, ReplicaVerdict, TableCompare } from './types.js'
import { EMPTY_BLOCK, type Request, type Values, blockUnit } from './read.js'
import { type TableShape, displayKey } from './shape.js'

/** Differing blocks holding up to this many rows in all are listed row by row; more is "too many". */
export const LIST_LIMIT = 1_000_000

/**
 * Rows in differing blocks that were never read row by row, though few enough to list: the
 * rounds ran out (a table written to all along, a busy machine). Not "too many to list", and not
 * a listing: the replicas it differs on were not compared.
 */
export const notNarrowed = (c: Pick<TableCompare, 'differences' | 'tooManyRows'>) =>
  c.differences === null && c.tooManyRows !== null && c.tooManyRows <= LIST_LIMIT

/** A unit's value on the PRIMARY and on each replica in one round (undefined: no such row). */
export interface Seen {
  p: string | undefined
  r: (string | undefined)[]
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

/** A unit's value as read; a block no node returned is an empty block. */
const unitValue = (vals: Values, unit: string) => vals.get(unit) ?? (unit[0] === 'b' ? EMPTY_BLOCK : undefined)

const blockRows = (value: string | undefined) => Number((value ?? EMPTY_BLOCK).split(':')[0])

/** A node's rows and hash sum over every block it returned. */
function totalOf(values: Values): BlockTotal {
  let rows = 0
  let sum = 0n
  for (const value of values.values()) {
    const [n, s] = value.split(':')
    rows += Number(n)
    sum += BigInt(s)
  }
  return { rows, checksum: String(sum) }
}

/** Every unit any node returned (all are blocks when the whole table was summed). */
function unionOfKeys(maps: Values[]): Set<string> {
  const out = new Set<string>()
  for (const m of maps) for (const k of m.keys()) out.add(k)
  return out
}

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

/** One part of a round as read: the PRIMARY, each replica, and (for keys) the PRIMARY read again after them. */
export interface PartRead {
  part: Request
  p: Values
  r: Values[]
  pAfter: Values | null
}

export class Tally {
  /** A pending unit's values in the round before. */
  readonly seen = new Map<string, Seen>()
  /** Units proven different. */
  readonly confirmed = new Map<string, Seen>()
  /** A key read from a block → that block. */
  readonly keyBlock = new Map<string, number>()
  /** Rounds a unit has been pending. */
  private readonly age = new Map<string, number>()
  /** A pending unit's values in every round so far. */
  private readonly histories = new Map<string, History>()
  /** A block's rows (the most any node holds) when last summed. */
  readonly blockSize = new Map<number, number>()
  /** The PRIMARY's and each replica's totals from the read of every block. */
  totals: BlockTotal[] | null = null

  /** Judges every unit of one part; adds the blocks and keys to read again to next. */
  record(read: PartRead, next: { pendingBlocks: number[]; keys: string[] }): void {
    const { part, p, r } = read
    // Blocks read row by row: their keys, and whether the block held still since the round before.
    const asked = new Set(part.keys)
    const rowsByBlock = new Map<number, string[]>(part.rowBlocks.map(b => [b, []]))
    const keysRead = new Set(
      [...p.keys(), ...r.flatMap(v => [...v.keys()])].filter(u => u[0] === 'k' && !asked.has(u.slice(1))),
    )
    for (const unit of keysRead) rowsByBlock.get(this.keyBlock.get(unit)!)?.push(unit)
    const heldStill = this.blocksHeldStill(read, rowsByBlock)

    if (part.allBlocks) this.totals = [p, ...r].map(totalOf)
    const blockUnits = part.allBlocks ? unionOfKeys([p, ...r]) : part.blocks.map(blockUnit)
    for (const unit of blockUnits) {
      const b = Number(unit.slice(1))
      this.blockSize.set(b, Math.max(blockRows(unitValue(p, unit)), ...r.map(v => blockRows(unitValue(v, unit)))))
      if (this.pending(read, unit, false)) next.pendingBlocks.push(b)
    }
    for (const unit of keysRead)
      if (this.pending(read, unit, heldStill.has(this.keyBlock.get(unit)!))) next.keys.push(unit.slice(1))
    for (const key of asked) if (this.pending(read, `k${key}`, false)) next.keys.push(key)
  }

  /** The row blocks of this part whose rows summed the same on every node as in the round before. */
  private blocksHeldStill({ part, p, r }: PartRead, rowsByBlock: Map<number, string[]>): Set<number> {
    const heldStill = new Set<number>()
    if (!part.rowBlocks.length) return heldStill
    const pb = blockOfRows(p, rowsByBlock)
    const rb = r.map(v => blockOfRows(v, rowsByBlock))
    for (const b of part.rowBlocks) {
      const before = this.seen.get(blockUnit(b))
      if (before && before.p === pb.get(b) && rb.every((x, i) => before.r[i] === x.get(b))) heldStill.add(b)
      this.seen.delete(blockUnit(b))
      this.histories.delete(blockUnit(b))
    }
    return heldStill
  }

  /** Records the unit's outcome; true while it is pending. */
  private pending({ p, r, pAfter }: PartRead, unit: string, heldStill: boolean): boolean {
    const now: Seen = { p: unitValue(p, unit), r: r.map(v => unitValue(v, unit)) }
    const history = this.histories.get(unit) ?? { p: new Set(), r: r.map(() => new Set()) }
    history.p.add(now.p)
    if (pAfter) history.p.add(unitValue(pAfter, unit))
    now.r.forEach((x, i) => {
      history.r[i].add(x)
    })
    const outcome = judge(now, this.seen.get(unit), heldStill, history)
    if (outcome === 'pending') {
      this.seen.set(unit, now)
      this.histories.set(unit, history)
      this.age.set(unit, (this.age.get(unit) ?? 0) + 1)
      return true
    }
    if (outcome === 'different') this.confirmed.set(unit, now)
    this.seen.delete(unit)
    this.histories.delete(unit)
    this.age.delete(unit)
    return false
  }

  /**
   * The next round: pending blocks are read again row by row when rows are wanted (or a block
   * keeps changing: its rows settle one by one) and they hold few enough rows to list, as block
   * sums otherwise; pending keys again.
   */
  nextRequest(pendingBlocks: number[], keys: string[], rows: boolean): Request {
    const next: Request = { allBlocks: false, blocks: pendingBlocks, rowBlocks: [], keys }
    const confirmedBlocks = [...this.confirmed.keys()].filter(u => u[0] === 'b').map(u => Number(u.slice(1)))
    const toRows = rows
      ? [...pendingBlocks, ...confirmedBlocks]
      : pendingBlocks.filter(b => this.age.get(blockUnit(b))! >= 2)
    const listed = toRows.reduce((n, b) => n + (this.blockSize.get(b) ?? 0), 0)
    if (listed > LIST_LIMIT || !toRows.length) return next
    const expanded = new Set(toRows)
    if (rows)
      for (const b of confirmedBlocks) {
        this.seen.set(blockUnit(b), this.confirmed.get(blockUnit(b))!)
        this.confirmed.delete(blockUnit(b))
      }
    return { ...next, rowBlocks: toRows, blocks: pendingBlocks.filter(b => !expanded.has(b)) }
  }

  /** The rows of every block summed so far (on the node holding most): after a first round, the table's rows. */
  rowsSummed(): number {
    let rows = 0
    for (const n of this.blockSize.values()) rows += n
    return rows
  }

  /** Every replica the table differs on has a proven difference, and no other is pending. */
  provenOnEvery(replicas: number): boolean {
    const differs = (units: Map<string, Seen>, i: number) => [...units.values()].some(c => c.r[i] !== c.p)
    return Array.from({ length: replicas }, (_, i) => i).every(
      i => differs(this.confirmed, i) || !differs(this.seen, i),
    )
  }

  verdicts(replicas: OpenNode[]): ReplicaVerdict[] {
    const differingOn = (units: Map<string, Seen>, i: number) => [...units.entries()].filter(([, v]) => v.r[i] !== v.p)
    return replicas.map((rep, i) => {
      const proven = differingOn(this.confirmed, i)
      const unsettled = differingOn(this.seen, i).length
      return {
        name: rep.name,
        state: proven.length ? 'differs' : unsettled ? 'unsettled' : 'equal',
        differingBlocks: new Set(proven.map(([u]) => (u[0] === 'b' ? Number(u.slice(1)) : this.keyBlock.get(u)))).size,
        unsettled,
      }
    })
  }

  /** Blocks proven different but never listed row by row (too many rows). */
  private bigBlocks(): Seen[] {
    return [...this.confirmed.entries()].filter(([u]) => u[0] === 'b').map(([, v]) => v)
  }

  /** Rows in the differing blocks when they are too many to list; null when every difference is a key. */
  tooManyRows(): number | null {
    const big = this.bigBlocks()
    return big.length ? big.reduce((n, v) => n + Math.max(blockRows(v.p), ...v.r.map(blockRows)), 0) : null
  }

  /** The differing keys, sorted, each with how it differs on each replica; null when blocks were too big to list. */
  differences(shape: TableShape, replicas: OpenNode[]): KeyDifference[] | null {
    if (this.bigBlocks().length) return null
    return [...this.confirmed.entries()]
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
  }
}
