// Initial copy: `make replicate` filling every replica (the slot's exported snapshot copied by
// parallel COPY pipes, deferred indexes, the subscription started on that slot, caught up) against
// the tools operators fill a database with today, each into one new, empty database:
// `pg_dump -Fd -j2` + `pg_restore -j2`, and `pgcopydb clone` (builds indexes after the copy).
// Destructive on the local cluster only; the caller leaves it in the normal replicated state.
import { cpus } from 'node:os'
import { join } from 'node:path'
import { type Config, repoRoot } from '../config.js'
import { withNode } from '../db.js'
import { colour, formatBytes, formatTable } from '../output.js'
import { seed } from '../seed/seed.js'
import { runSqlFile } from '../sql-files.js'
import {
  emptyTables,
  expectCounts,
  expectReplicasHold,
  removeReplication,
  replicateQuietly,
  tableCounts,
  timed,
} from './copy-cluster.js'
import { type CopyResume, PARTS_PER_REPLICA, copyResumeBench, resumeTargets } from './copy-resume.js'
import { type SingleTableCopy, singleTableBench, singleTableRows, singleTableTarget } from './single-table-copy.js'
import { type Target, atLeast, targetRow } from './targets.js'
import { type BaselineTimes, JOBS, dumpCannotRead, runBaselines } from './initial-copy-baselines.js'

const categoriesFile = join(repoRoot, 'data/categories.json')
/** Items per generated order: distinct products, as UNIQUE (order_id, product_id) wants. */
const ITEMS_PER_ORDER = 2
/**
 * Issue 16's goal against pg_dump + pg_restore filling one database; issue 31's against pgcopydb:
 * rows landed per second (into every replica) ≥ 1.5× pgcopydb's into one database.
 */
const COPY_TARGETS = { vsDump: 1.5, vsPgcopydbRate: 1.5 }
/** The single-table copy's table holds this many times the products: 5,000,000 at the default 1,000,000. */
const SINGLE_TABLE_ROWS_PER_PRODUCT = 5
/** Each make replicate's deadline: a copy that hangs fails the bench. */
const COPY_TIMEOUT_MS = 1_800_000

export interface InitialCopy {
  /** Products; as many orders, ITEMS_PER_ORDER items and one payment each. */
  rows: number
  /** Rows in the published tables, what every copy moves. */
  totalRows: number
  /** The published tables' size on the PRIMARY (heap and indexes). */
  bytes: number
  replicas: number
  /** make replicate in process: preflight to every replica copied, subscribed and caught up. */
  replicateSeconds: number
  /** pg_dump -Fd -j2 -Z0 to a directory, then pg_restore -j2 into one new database. */
  dumpRestoreSeconds: number | null
  /** pgcopydb clone --table-jobs 2 --index-jobs 2 into one new database; null when not run. */
  pgcopydbSeconds: number | null
  /** Why a baseline was not run (Debian's pg_dump 15, which pgcopydb runs too, refuses a newer server). */
  baselineSkipped: string | null
  /** A parallel copy whole, and killed half-way then resumed; absent from reports before it was measured. */
  resume?: CopyResume
  /** One big table: the copy engine against one COPY stream; absent from reports before it was measured. */
  singleTable?: SingleTableCopy
  targets: Target[]
  method: string
}

/** The PRIMARY holds `rows` products, as many orders with their items and payments, and no replication. */
async function loadPrimary(config: Config, rows: number): Promise<void> {
  const node = config.primary
  await runSqlFile(node, 'sql/bench/010_load_products.sql', { vars: { rows: String(rows) }, dryRun: false })
  await runSqlFile(node, 'sql/bench/020_load_orders.sql', {
    vars: { orders: String(rows), items_per_order: String(ITEMS_PER_ORDER), products: String(rows) },
    dryRun: false,
  })
  await withNode(config.primary, sql => sql.unsafe('checkpoint'))
}

async function publishedBytes(config: Config): Promise<number> {
  const [{ bytes }] = await withNode(config.primary, sql =>
    sql.unsafe(
      `select sum(pg_total_relation_size(('public.' || t)::regclass))::bigint as bytes from unnest($1::text[]) as t`,
      [config.tables],
    ),
  )
  return Number(bytes)
}

export async function initialCopyBench(
  config: Config,
  rows: number,
  workDir: string,
  say: (text: string) => void,
): Promise<InitialCopy> {
  say(
    `  removing replication; loading ${rows.toLocaleString('en-US')} products, orders (${ITEMS_PER_ORDER} items each) and payments into the PRIMARY ...`,
  )
  await removeReplication(config)
  await loadPrimary(config, rows)
  const expected = await tableCounts(config.primary, config)
  const totalRows = Object.values(expected).reduce((a, b) => a + b, 0)
  const bytes = await publishedBytes(config)
  const replicateSeconds = await timedReplicate(config, expected, say)
  const resume = await copyResumeBench(config, expected, COPY_TIMEOUT_MS, say)
  const baselineSkipped = await dumpCannotRead(config)
  let times: BaselineTimes | null = null
  if (baselineSkipped) say(`  baselines not run: ${baselineSkipped}`)
  else {
    // Replication off, so the baselines do not share the cores with apply workers.
    await removeReplication(config)
    times = await runBaselines(config, workDir, say, async (target, database, name) =>
      expectCounts(
        expected,
        await tableCounts(target, config, database),
        `after ${name}, ${target.name}'s ${database}`,
      ),
    )
  }
  const singleTable = await singleTableBench(config, rows * SINGLE_TABLE_ROWS_PER_PRODUCT, say)
  return {
    rows,
    totalRows,
    bytes,
    replicas: config.replicas.length,
    replicateSeconds,
    dumpRestoreSeconds: times?.dumpRestoreSeconds ?? null,
    pgcopydbSeconds: times?.pgcopydbSeconds ?? null,
    baselineSkipped,
    resume,
    singleTable,
    targets: [
      ...(times ? copyTargets(config.replicas.length, replicateSeconds, times, totalRows) : []),
      ...resumeTargets(resume),
      singleTableTarget(singleTable),
    ],
    method: methodText(config, rows),
  }
}

/** make replicate into truncated replicas, in process, until every replica holds the PRIMARY's rows. */
async function timedReplicate(
  config: Config,
  expected: Record<string, number>,
  say: (text: string) => void,
): Promise<number> {
  say(`  make replicate to ${config.replicas.length} replicas (timed) ...`)
  await Promise.all(config.replicas.map(r => emptyTables(r, config)))
  const seconds = await timed(() => replicateQuietly(config, COPY_TIMEOUT_MS))
  await expectReplicasHold(config, expected, 'make replicate')
  return seconds
}

/** Rows landed per second by make replicate, per database, against the baselines filling one. */
function copyWhy(replicas: number, replicateSeconds: number, times: BaselineTimes, totalRows: number): string {
  const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString('en-US')
  return `make replicate landed ${(replicas * totalRows).toLocaleString('en-US')} rows into ${replicas} databases at ${rate(replicas * totalRows, replicateSeconds)} rows/s, ${rate(totalRows, replicateSeconds)} per database; pgcopydb ${rate(totalRows, times.pgcopydbSeconds)} and pg_dump + pg_restore ${rate(totalRows, times.dumpRestoreSeconds)} into one. All share the same ${cpus().length} cores, and one COPY stream already keeps two busy (the PRIMARY's backend reading, the replica's writing: docs/performance.md)`
}

function copyTargets(replicas: number, replicateSeconds: number, times: BaselineTimes, totalRows: number): Target[] {
  const why = copyWhy(replicas, replicateSeconds, times, totalRows)
  return [
    atLeast(
      'initial copy',
      `make replicate to ${replicas} replicas ≥ ${COPY_TARGETS.vsDump}× as fast as pg_dump -Fd -j${JOBS} + pg_restore -j${JOBS} into one database`,
      times.dumpRestoreSeconds / replicateSeconds,
      COPY_TARGETS.vsDump,
      '×',
      why,
    ),
    atLeast(
      'initial copy',
      `make replicate to ${replicas} replicas lands rows ≥ ${COPY_TARGETS.vsPgcopydbRate}× as fast as pgcopydb clone into one database (rows landed per second)`,
      (replicas * times.pgcopydbSeconds) / replicateSeconds,
      COPY_TARGETS.vsPgcopydbRate,
      '×',
      why,
    ),
  ]
}

const methodText = (config: Config, rows: number) =>
  `The PRIMARY holds ${rows} generated products, as many orders with ${ITEMS_PER_ORDER} items and a payment each (sql/bench/010, 020; VACUUM ANALYZE, CHECKPOINT) and no replication. ` +
  `make replicate is timed in process (replkit's replicate(), without the command's start-up) from preflight to every replica copied, subscribed and caught up, into truncated replicas. ` +
  `Then make replicate --copy-method parallel with the tables cut into parts of a ${PARTS_PER_REPLICA}th of their heap, timed whole; and again as the command (bin/replkit.js), killed with SIGKILL (its process group) once half its parts are in on the replicas, and the next make replicate timed as it resumes. ` +
  `Then, with replication removed, each baseline fills one new, empty database on ${config.replicas[0].name}: pg_dump -Fd -j${JOBS} -Z0 of the PRIMARY's database to a directory, then pg_restore -j${JOBS} --no-owner --no-acl; and pgcopydb clone --table-jobs ${JOBS} --index-jobs ${JOBS} --no-owner --no-acl. ` +
  `Last, one table of ${rows * SINGLE_TABLE_ROWS_PER_PRODUCT} rows shaped like order_items (sql/bench/030, in a database of its own on the PRIMARY and ${config.replicas[0].name}): one binary COPY stream of it into the empty table with its indexes in place (as a subscription's table sync copies), against replkit's copy engine (copyFromSnapshot with make replicate's defaults: 2 pipes, parts of 128 MB, the secondary indexes built after). ` +
  "Every copy is checked to hold exactly the PRIMARY's row count in every table it fills."

/** The normal demo state: the 30 products of data/products.json on the PRIMARY, replicated and caught up. */
export async function restoreDemoState(config: Config): Promise<void> {
  await removeReplication(config)
  await emptyTables(config.primary, config)
  await withNode(config.primary, sql =>
    seed(sql, { file: join(repoRoot, 'data/products.json'), categoriesFile, dryRun: false }),
  )
  await replicateQuietly(config, 120_000)
}

/** The section's table: each method's seconds and rows landed per second. */
export function formatInitialCopy(ic: InitialCopy): string {
  const landed = (rows: number, seconds: number) => Math.round(rows / seconds)
  return formatTable(
    ['method', 'into', 'seconds', 'rows landed/s'],
    [
      [
        'make replicate (preflight to every replica copied, subscribed, caught up)',
        `${ic.replicas} replicas`,
        Number(ic.replicateSeconds.toFixed(2)),
        landed(ic.totalRows * ic.replicas, ic.replicateSeconds),
      ],
      ...(ic.resume ? resumeRows(ic.resume, ic.totalRows * ic.replicas, ic.replicas) : []),
      ...(ic.dumpRestoreSeconds === null || ic.pgcopydbSeconds === null
        ? [[`baselines not run: ${ic.baselineSkipped}`, null, null, null]]
        : [
            [
              `pg_dump -Fd -j${JOBS} -Z0 + pg_restore -j${JOBS} (baseline)`,
              '1 database',
              Number(ic.dumpRestoreSeconds.toFixed(2)),
              landed(ic.totalRows, ic.dumpRestoreSeconds),
            ],
            [
              `pgcopydb clone --table-jobs ${JOBS} --index-jobs ${JOBS} (baseline)`,
              '1 database',
              Number(ic.pgcopydbSeconds.toFixed(2)),
              landed(ic.totalRows, ic.pgcopydbSeconds),
            ],
          ]),
      ...(ic.singleTable ? singleTableRows(ic.singleTable) : []),
    ],
  )
}

/** The parallel copy whole, the run killed half-way, and the next run resuming it. */
function resumeRows(r: CopyResume, landedRows: number, replicas: number) {
  return [
    [
      `make replicate --copy-method parallel, parts of ${r.partMb} MB`,
      `${replicas} replicas`,
      Number(r.fullSeconds.toFixed(2)),
      Math.round(landedRows / r.fullSeconds),
    ],
    [
      `  the same, killed (SIGKILL) with ${r.partsInAtKill} of ${r.parts} parts in`,
      `${replicas} replicas`,
      Number(r.killedAfterSeconds.toFixed(2)),
      null,
    ],
    [
      `  the next make replicate, resuming (${(r.resumeSeconds / r.fullSeconds).toFixed(2)}× the full copy)`,
      `${replicas} replicas`,
      Number(r.resumeSeconds.toFixed(2)),
      null,
    ],
  ]
}

export const initialCopyTitle = (ic: InitialCopy) =>
  `Initial copy: ${ic.rows.toLocaleString('en-US')} products, as many orders with their items and payments (${ic.totalRows.toLocaleString('en-US')} rows, ${formatBytes(ic.bytes)})`

/** make bench --only copy (make bench-copy): the title, the table and the targets. */
export function formatInitialCopyBench(ic: InitialCopy): string {
  return [
    initialCopyTitle(ic),
    formatInitialCopy(ic),
    '',
    formatTable(['target', 'measured', 'needed', 'result'], ic.targets.map(targetRow)),
    ...(ic.baselineSkipped ? [`baselines not run: ${ic.baselineSkipped}`] : []),
    '',
    colour.dim(ic.method),
  ].join('\n')
}
