// What a comparison at an LSN returns (it reads OpenNodes, node.ts): per table its verdict on each
// replica and the keys that differ.
import type { BlockPlan } from './shape.js'

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
  /** node → its rows and the sum of their hashes when first read at an LSN (every block summed). */
  totals?: Record<string, BlockTotal>
  ms: number
  /** Of ms, what came after the first round (which reads every block): narrowing differing blocks down to keys, naming their columns. */
  narrowingMs: number
}

export interface BlockTotal {
  rows: number
  checksum: string
}

export interface CompareOptions {
  /** Narrow differences down to keys (--diff, repair); otherwise stop once a block is proven different. */
  rows: boolean
  timeoutMs: number
  maxRounds?: number
  /** Compare only these keys (jsonb key objects as at-lsn returns them): a repair's proof. */
  keys?: string[]
  /** The publication whose column list and row filter say what of the table is compared (none: all of it). */
  publication?: string
}
