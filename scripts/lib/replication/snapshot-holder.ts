// The exported snapshot of a copy's slot lives only as long as the replication session that
// created the slot, and only while that session runs no other command. It is held here by a psql
// of its own, in a process group of its own, so a make replicate killed part-way (SIGKILL) does
// not take the snapshot with it: the next run imports the same snapshot and copies only the
// parts that are not in yet (pgcopydb's `snapshot` process does the same). The holder ends when
// the copy is over, or after `seconds` at the latest (it pins the PRIMARY's xmin while it lives).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { NodeSpec } from '../config.js'
import type { Sql } from '../db.js'
import { ReplkitError } from '../errors.js'
import { clientEnv } from '../libpq.js'
import { queryFile } from '../sql-files.js'
import { createSlotStatement } from './copy-statements.js'

export interface HeldSnapshot {
  snapshot: string
  /** "host pgid": where the holding processes run, so a later run on this host can end them. */
  holder: string
}

/** The application_name of the session holding a slot's snapshot: how a later run finds and ends it. */
export const holderName = (slot: string) => `replkit snapshot ${slot}`

/** Creates the slot over a replication connection and keeps its snapshot exported for up to `seconds`. */
export async function holdSnapshot(primary: NodeSpec, slot: string, seconds: number): Promise<HeldSnapshot> {
  const env = { ...clientEnv(primary), PGAPPNAME: holderName(slot) }
  // sh keeps psql's input open (sleep) without this process: psql runs the one command, then
  // waits. Everything but replication=database comes from libpq's environment (PGDATABASE too).
  const script = `{ printf '%s;\\n' "$1"; exec sleep "$2"; } | exec psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -d replication=database`
  const child = spawn('sh', ['-c', script, 'replkit-snapshot', createSlotStatement(slot), String(seconds)], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', d => {
    err += d
  })
  const snapshot = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', d => {
      out += d
      const fields = out.split('\n')[0].trim().split(' ')
      if (out.includes('\n') && fields.length >= 3) resolve(fields[2])
    })
    child.on('close', () =>
      reject(
        new ReplkitError(`${primary.name}: could not create slot ${slot}: ${redact(err, primary) || 'psql ended'}`),
      ),
    )
    child.on('error', reject)
  })
  // From here the holder lives on its own: this process may exit (or be killed) without it.
  child.unref()
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void })?.unref?.()
  return { snapshot, holder: `${hostname()} ${child.pid}` }
}

const redact = (text: string, node: NodeSpec) =>
  (node.password ? text.split(node.password).join('***') : text).trim().split('\n').join(' | ')

/**
 * Ends the session holding the slot's snapshot, and the processes holding it when they run on
 * this host (psql would otherwise wait out its time). Any run may: this one, or the next after a kill.
 */
export async function endHolder(primary: Sql, slot: string, holder: string | null): Promise<void> {
  await queryFile(primary, 'sql/copy/095_end_snapshot_holder.sql', [holderName(slot)])
  const [host, pgid] = (holder ?? '').split(' ')
  if (host !== hostname() || !pgid) return
  // Only if that process group is still the holder (a pid may have been reused since).
  const command = (() => {
    try {
      return readFileSync(`/proc/${pgid}/cmdline`, 'utf8')
    } catch {
      return ''
    }
  })()
  if (command.includes(`replkit-snapshot\0${createSlotStatement(slot)}`))
    try {
      process.kill(-Number(pgid), 'SIGTERM')
    } catch {}
}

/** Whether the snapshot can still be imported on the PRIMARY (its holder still runs). */
export async function snapshotHeld(primary: Sql, snapshot: string): Promise<boolean> {
  try {
    await primary.begin('isolation level repeatable read read only', async tx => {
      await tx.unsafe(`set transaction snapshot '${snapshot.replaceAll("'", "''")}'`)
    })
    return true
  } catch {
    return false
  }
}
