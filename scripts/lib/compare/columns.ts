// Which columns make two versions of a row differ, from each node's row as a jsonb object of
// column → value as text (sql/compare/080): the text is what the row hash is computed over.

/** Columns, in the PRIMARY's order, whose values differ between the two rows. */
export function differingColumns(columns: string[], primaryRow: string, replicaRow: string): string[] {
  const p = JSON.parse(primaryRow) as Record<string, unknown>
  const r = JSON.parse(replicaRow) as Record<string, unknown>
  return columns.filter(c => JSON.stringify(p[c]) !== JSON.stringify(r[c]))
}
