// The seed's SQL files (sql/seed): which runs when, for the seed itself and for --dry-run.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../config.js'
import { SEED_BATCH_BYTES, SEED_BATCH_RECORDS } from './batches.js'

export const seedSqlDir = join(repoRoot, 'sql/seed')

/** The statements seed() runs for every batch of the file, in order. */
const batchStatements = [
  '022_next_batch.sql',
  '023_file_skus.sql',
  '024_duplicate_sku.sql',
  '025_match.sql',
  '030_update_products.sql',
  '035_insert_products.sql',
  '040_update_inventory.sql',
  '045_insert_inventory.sql',
]

/** Run for every batch instead of batchStatements when products was empty (021). */
const directStatements = ['046_copy_products.sql', '047_copy_inventory.sql']

/** Every statement the seed may run, in file order (the order --dry-run prints them in). */
export const seedStatements = [
  '005_planner_settings.sql',
  '010_staging.sql',
  '015_analyze.sql',
  '020_categories.sql',
  '021_products_empty.sql',
  ...batchStatements,
  '041_set_aside_inventory_fk.sql',
  ...directStatements,
  '048_revert_set_aside_inventory_fk.sql',
  '050_unlisted.sql',
].sort()

/** When seed() runs a statement, for --dry-run: once, once per batch, or only on a repeated sku. */
export function whenRun(name: string): string {
  const perBatch = `once per batch of ${SEED_BATCH_RECORDS.toLocaleString('en-US')} records or ${SEED_BATCH_BYTES >> 20} MB`
  if (name === '024_duplicate_sku.sql') return 'only when a batch repeats a sku'
  if (name === '015_analyze.sql')
    return 'once, and again each time the seed has doubled the rows it added, or at the end of a load into empty tables'
  if (directStatements.includes(name)) return `${perBatch}, when products was empty (instead of 023-045)`
  if (name === '041_set_aside_inventory_fk.sql')
    return 'once before the first batch, when products was empty; it sets the key aside only when the role owns products and inventory'
  if (name === '048_revert_set_aside_inventory_fk.sql') return 'once after the last batch, when 041 ran'
  return batchStatements.includes(name) ? `${perBatch}, when products held rows` : 'once'
}

export async function statement(name: string): Promise<string> {
  return readFile(join(seedSqlDir, name), 'utf8')
}
