// Sequence values per node. Logical replication copies the rows an identity generates on the
// PRIMARY (orders.order_number), never the sequence behind it: a replica's sequence stays where
// it was, usually never used. Only sequences owned by replicated tables' columns are considered.
import { sqlName } from '../table-name.js'
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { queryFile, runSqlFile } from '../sql-files.js'

const SETVAL = 'sql/sequences/010_setval.sql'

export interface SequenceValue {
  sequence: string
  column: string
  /** pg_sequences.last_value: null when the sequence was never used on that node (or is not readable). */
  lastValue: bigint | null
  /** This role may read it: pg_sequences shows last_value only then (null otherwise, as if never used). */
  readable: boolean
}

export async function ownedSequences(sql: Sql, tables: string[]): Promise<SequenceValue[]> {
  const rows = await sql`
    select format('%I.%I', s.schemaname, s.sequencename) as sequence,
           format('%s.%I', d.refobjid::regclass, a.attname) as column,
           s.last_value::text as last_value,
           has_sequence_privilege(c.oid, 'SELECT') as readable
    from pg_sequences s
    join pg_class c on c.relname = s.sequencename and c.relnamespace = s.schemaname::regnamespace
    join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
    join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
    where d.refobjid in (select to_regclass(t) from unnest(${tables.map(sqlName)}::text[]) t)
    order by 1`
  return rows.map(r => ({
    sequence: r.sequence,
    column: r.column,
    lastValue: r.last_value === null ? null : BigInt(r.last_value),
    readable: r.readable,
  }))
}

/** How far a replica's value is behind the PRIMARY's (0 when level or ahead). */
export function behindBy(primary: bigint | null, replica: bigint | null): bigint {
  if (primary === null) return 0n
  const have = replica ?? 0n
  return have < primary ? primary - have : 0n
}

/**
 * Raises each of the node's sequences to at least the PRIMARY's value (sql/sequences/010_setval.sql,
 * never lowering one). Returns those it raised.
 */
export async function raiseSequences(
  node: NodeSpec,
  primary: Sql,
  nodeSql: Sql,
  tables: string[],
  dryRun: boolean,
): Promise<{ sequence: string; to: bigint; behind: bigint }[]> {
  const [theirs, mine] = await Promise.all([ownedSequences(primary, tables), ownedSequences(nodeSql, tables)])
  const raised: { sequence: string; to: bigint; behind: bigint }[] = []
  for (const p of theirs) {
    const behind = behindBy(p.lastValue, mine.find(m => m.sequence === p.sequence)?.lastValue ?? null)
    if (behind === 0n) continue
    const params = [p.sequence, String(p.lastValue)]
    if (dryRun) await runSqlFile(node, SETVAL, { vars: { $1: params[0], $2: params[1] }, dryRun })
    else await queryFile(nodeSql, SETVAL, params)
    raised.push({ sequence: p.sequence, to: p.lastValue!, behind })
  }
  return raised
}
