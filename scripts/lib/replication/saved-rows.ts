// Rows a repair is about to discard on a replica, kept before it does: every row of each table it
// empties, as psql \copy files an operator can load again, under SAVE_DIR/<time>-<replica>/.
import { fileNameOf, sqlName } from '../table-name.js'
import { createReadStream } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config, NodeSpec } from '../config.js'
import { psql } from '../psql.js'

export interface SavedRows {
  dir: string
  /** table → rows saved */
  rows: Record<string, number>
}

/** Rows in a COPY text file: one line each (newlines inside values are escaped as \n). */
async function lineCount(file: string): Promise<number> {
  let lines = 0
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
  }
  return lines
}

/** A moment as a file name's prefix: the folders and files under SAVE_DIR sort by when they were written. */
export const stamp = () => new Date().toISOString().replace(/[:.]/g, '-')

/** Saves the tables' rows; `why` heads the folder's README.txt. */
export async function saveRows(config: Config, replica: NodeSpec, tables: string[], why: string): Promise<SavedRows> {
  const dir = join(config.saveDir, `${stamp()}-${replica.name}`)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const saved: SavedRows = { dir, rows: {} }
  for (const table of tables) {
    // psql's \copy, as an operator would reload it (the driver's COPY stream stalled on large tables).
    const file = join(dir, `${fileNameOf(table)}.copy`)
    await psql(replica, { commands: [`\\copy (select * from ${sqlName(table)}) to '${file.replaceAll("'", "''")}'`] })
    await chmod(file, 0o600)
    saved.rows[table] = await lineCount(file)
  }
  await writeFile(
    join(dir, 'README.txt'),
    `Rows of ${replica.name} saved by replkit (${new Date().toISOString()}) before ${why}.\n` +
      `Reload one with: psql "<${replica.name}'s URL>" -c "\\copy <schema>.<table> from '<file>'"\n\n` +
      `${tables.map(t => `${sqlName(t)}: ${saved.rows[t]} rows in ${fileNameOf(t)}.copy`).join('\n')}\n`,
  )
  return saved
}
