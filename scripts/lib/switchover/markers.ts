// The fence's marker: make switchover sets replkit.switchover on the fenced PRIMARY's database
// (pg_db_role_setting) and removes it when the switch is complete or undone. Found on a node,
// it says a switch stopped part-way there, from where to where.
import { type Config, type NodeSpec, allNodes } from '../config.js'
import { connectChecked } from '../db.js'

export interface Marker {
  from: string
  to: string
  at: string
}

export function parseMarker(setconfig: string[] | null): Marker | null {
  const entry = (setconfig ?? []).find(s => s.startsWith('replkit.switchover='))
  if (!entry) return null
  try {
    const marker = JSON.parse(entry.slice('replkit.switchover='.length)) as Marker
    return typeof marker.from === 'string' && typeof marker.to === 'string' ? marker : null
  } catch {
    return null
  }
}

/** Every reachable node whose database carries the marker (normally none). */
export async function fenceMarkers(config: Config): Promise<{ node: NodeSpec; marker: Marker }[]> {
  const found = await Promise.all(
    allNodes(config).map(async node => {
      const sql = await connectChecked(node, { connectTimeoutSeconds: 3 }).catch(() => null)
      if (!sql) return null
      try {
        const [row] = await sql`
        select setconfig from pg_db_role_setting
        where setdatabase = (select oid from pg_database where datname = current_database()) and setrole = 0`
        const marker = parseMarker(row?.setconfig ?? null)
        return marker ? { node, marker } : null
      } finally {
        await sql.end({ timeout: 1 })
      }
    }),
  )
  return found.filter((f): f is { node: NodeSpec; marker: Marker } => f !== null)
}
