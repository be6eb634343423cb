// libpq's password file: PGPASSFILE, else ~/.pgpass. Lines "host:port:database:user:password",
// "*" matches anything, "\:" and "\\" escape; the first line that matches wins. As libpq does, a
// file that the group or others may read is ignored (with a warning), and it is consulted only
// when neither the URL nor PGPASSWORD gives a password.
import { readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface PgpassTarget {
  host: string
  port: number
  database: string
  user: string
}

/** A line's five fields, unescaped; null for a comment, a blank or a short line. */
function fields(line: string): string[] | null {
  if (line.startsWith('#') || !line.trim()) return null
  const out: string[] = []
  let current = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === '\\' && i + 1 < line.length) current += line[++i]
    else if (c === ':' && out.length < 4) {
      out.push(current)
      current = ''
    } else current += c
  }
  out.push(current)
  return out.length === 5 ? out : null
}

/** The password of the first line that matches the target, as libpq reads the file. */
export function pgpassLookup(text: string, target: PgpassTarget): string | undefined {
  const wanted = [target.host, String(target.port), target.database, target.user]
  for (const line of text.split(/\r?\n/)) {
    const f = fields(line)
    if (f && wanted.every((w, i) => f[i] === '*' || f[i] === w)) return f[4]
  }
  return undefined
}

/** The password for the target from PGPASSFILE or ~/.pgpass, when that file exists and is private. */
export function passwordFromFile(target: PgpassTarget, env: Record<string, string | undefined>): string | undefined {
  const file = env.PGPASSFILE || join(homedir(), '.pgpass')
  let mode: number
  try {
    const stat = statSync(file)
    if (!stat.isFile()) return undefined
    mode = stat.mode
  } catch {
    return undefined
  }
  if (mode & 0o077) {
    console.error(
      `replkit: WARNING: password file "${file}" has group or world access; permissions should be u=rw (0600) or less — ignored, as libpq does`,
    )
    return undefined
  }
  return pgpassLookup(readFileSync(file, 'utf8'), target)
}
