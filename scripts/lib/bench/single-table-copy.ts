// One big table: replkit's copy engine (copyFromSnapshot: ranges of the table's blocks on
// parallel COPY pipes from a slot's exported snapshot, its secondary indexes dropped and built
// after with one sort each) against one COPY stream of the whole table into it with its indexes
// in place, as a subscription's table sync copies it. Both from the PRIMARY into the same empty
// table on the first replica, in a database of their own on each, dropped afterwards.
// Between them, the engine on one pipe in one part: what the indexes built after are worth alone,
// and what the parallel parts add. Issue 31's goal: the engine copies one 5,000,000-row table
// ≥ 1.5× as fast as one stream.
import { cpus } from 'node:os'
import type { Config, NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { ReplkitError } from '../errors.js'
import { psqlPipe } from '../psql.js'
import { copyFromSnapshot } from '../replication/snapshot-copy.js'
import { runSqlFile } from '../sql-files.js'
import { inDatabase } from './bench-database.js'
import { timed } from './copy-cluster.js'
import { type Target, atLeast } from './targets.js'

const DATABASE = 'replkit_bench_table'
/** The publication the engine's copies are planned from, and the prefix of their slots. */
const PUBLICATION = 'replkit_bench_table'
const TABLE = 'bench_rows'
const TARGET = 1.5
/** make replicate's defaults: --copy-jobs and --split-tables-larger-than. */
const PLAN = { jobs: 2, partMb: 128 }

export interface SingleTableCopy {
  rows: number
  /** The table's heap on the PRIMARY, what the parts are cut from. */
  heapBytes: number
  oneStreamSeconds: number
  /** The engine on one pipe, the table in one part: its indexes built after, nothing side by side. */
  onePipe: EngineRun
  /** The engine as make replicate runs it. */
  engine: EngineRun
}

export interface EngineRun {
  seconds: number
  parts: number
  jobs: number
  /** The secondary indexes dropped and built after the rows. */
  indexes: number
  /** Of the seconds: the rows in, then the deferred indexes built. */
  copyMs: number
  indexMs: number
}

/** The table on the PRIMARY with `rows` rows and empty on the replica, each in a new database. */
async function load(primary: NodeSpec, replica: NodeSpec, rows: number): Promise<number> {
  for (const [node, n] of [
    [primary, rows],
    [replica, 0],
  ] as const) {
    await withNode({ ...node, database: 'postgres' }, async sql => {
      await sql.unsafe(`drop database if exists ${DATABASE} with (force)`)
      await sql.unsafe(`create database ${DATABASE}`)
    })
    await runSqlFile(node, 'sql/bench/030_single_table.sql', { vars: { rows: String(n) }, dryRun: false })
  }
  return withNode(primary, async sql => {
    await sql.unsafe(`create publication ${PUBLICATION} for table public.${TABLE}`)
    await sql.unsafe('checkpoint')
    const [{ bytes }] = await sql.unsafe(`select pg_relation_size('public.${TABLE}')::bigint as bytes`)
    return Number(bytes)
  })
}

/** The replica's table holds exactly `rows` rows; emptied again after a timing with `emptyAfter`. */
async function expectRows(replica: NodeSpec, rows: number, what: string, emptyAfter: boolean): Promise<void> {
  await withNode(
    replica,
    async sql => {
      const [{ n }] = await sql.unsafe(`select count(*)::bigint as n from public.${TABLE}`)
      if (Number(n) !== rows)
        throw new ReplkitError(`bench: after ${what}, ${replica.name}'s ${TABLE} holds ${n} rows (the PRIMARY ${rows})`)
      if (emptyAfter) await sql.unsafe(`truncate public.${TABLE}; checkpoint`)
    },
    { statementTimeoutMs: 0 },
  )
}

/** One COPY stream, binary as the engine's: the PRIMARY's table out, the replica's in, its indexes kept. */
const oneStream = (primary: NodeSpec, replica: NodeSpec) =>
  psqlPipe(
    { node: primary, commands: [`COPY public.${TABLE} TO STDOUT (FORMAT binary)`] },
    {
      node: replica,
      commands: [`COPY public.${TABLE} FROM STDIN (FORMAT binary)`],
      settings: { synchronous_commit: 'off' },
    },
  )

/** The slots the engine's copies left (a subscription would take them over), then both databases. */
async function cleanUp(config: Config, primary: NodeSpec): Promise<void> {
  await withNode(primary, sql =>
    sql.unsafe(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name like '${PUBLICATION}%'`,
    ),
  ).catch(() => {})
  for (const node of [config.primary, config.replicas[0]])
    await withNode({ ...node, database: 'postgres' }, sql =>
      sql.unsafe(`drop database if exists ${DATABASE} with (force)`),
    )
}

export async function singleTableBench(
  config: Config,
  rows: number,
  say: (text: string) => void,
): Promise<SingleTableCopy> {
  const primary = inDatabase(config.primary, DATABASE)
  const replica = inDatabase(config.replicas[0], DATABASE)
  try {
    say(`  one table of ${rows.toLocaleString('en-US')} rows (${DATABASE}): loading it on the PRIMARY ...`)
    const heapBytes = await load(primary, replica, rows)
    say(`  one COPY stream of it into ${replica.name} (timed) ...`)
    const oneStreamSeconds = await timed(() => oneStream(primary, replica))
    await expectRows(replica, rows, 'one COPY stream', true)
    say("  replkit's copy engine on one pipe, the table in one part (timed) ...")
    const onePipe = await engineRun(primary, replica, 1, heapBytes + 1)
    await expectRows(replica, rows, "replkit's copy engine on one pipe", true)
    say(`  replkit's copy engine, ${PLAN.jobs} pipes, parts of ${PLAN.partMb} MB (timed) ...`)
    const engine = await engineRun(primary, replica, PLAN.jobs, PLAN.partMb * 1024 * 1024)
    await expectRows(replica, rows, "replkit's copy engine", false)
    return { rows, heapBytes, oneStreamSeconds, onePipe, engine }
  } finally {
    await cleanUp(config, primary)
  }
}

/** copyFromSnapshot into the empty table, binary, from a slot of its own. */
async function engineRun(primary: NodeSpec, replica: NodeSpec, jobs: number, partBytes: number): Promise<EngineRun> {
  const plan = {
    slot: `${PUBLICATION}_${jobs}`,
    binary: true,
    jobs,
    publication: PUBLICATION,
    partBytes,
    holdSeconds: 1800,
  }
  const started = performance.now()
  const result = await copyFromSnapshot(primary, replica, [TABLE], plan, null)
  const seconds = (performance.now() - started) / 1000
  const { parts, indexes, copyMs, indexMs } = result
  return { seconds, parts, jobs, indexes: indexes.length, copyMs, indexMs }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
const shape = (e: EngineRun) => `${plural(e.parts, 'part')} on ${plural(e.jobs, 'pipe')}`
const described = (e: EngineRun) =>
  `${shape(e)}: rows in ${(e.copyMs / 1000).toFixed(1)} s, ${e.indexes} indexes built after in ${(e.indexMs / 1000).toFixed(1)} s`

export function singleTableTarget(s: SingleTableCopy): Target {
  const why = `one stream took ${s.oneStreamSeconds.toFixed(1)} s for the ${(s.heapBytes / 1024 ** 2).toFixed(0)} MB heap, its indexes updated row by row; the engine ${described(s.onePipe)}; then ${described(s.engine)}. On ${cpus().length} cores one stream already keeps two busy (the PRIMARY's backend reading, the replica's writing), so more streams share the same cores`
  return atLeast(
    'initial copy',
    `one table of ${s.rows.toLocaleString('en-US')} rows copies ≥ ${TARGET}× as fast as one COPY stream`,
    s.oneStreamSeconds / s.engine.seconds,
    TARGET,
    '×',
    why,
  )
}

/** The section table's rows: one stream, then the engine on one pipe and as make replicate runs it. */
export const singleTableRows = (s: SingleTableCopy) => [
  [
    `one table of ${s.rows.toLocaleString('en-US')} rows: one COPY stream, its indexes in place`,
    '1 replica',
    Number(s.oneStreamSeconds.toFixed(2)),
    Math.round(s.rows / s.oneStreamSeconds),
  ],
  ...[s.onePipe, s.engine].map(e => [
    `  replkit's copy engine: ${shape(e)}, ${e.indexes} indexes after (${(s.oneStreamSeconds / e.seconds).toFixed(2)}× one stream)`,
    '1 replica',
    Number(e.seconds.toFixed(2)),
    Math.round(s.rows / e.seconds),
  ]),
]
