// libpq's connection service file: a service named by ?service= in a node's URL (or PGSERVICE)
// supplies what the URL leaves out — host, port, dbname, user, password, sslmode, sslrootcert.
// The file is PGSERVICEFILE, else ~/.pg_service.conf; a service not there is looked up in
// PGSYSCONFDIR/pg_service.conf (Debian's libpq: /etc/postgresql-common). "[name]" starts a
// service, "key=value" lines follow, "#" comments.
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from './errors.js'

export type ServiceParams = Record<string, string>

/** The parameters of one service in a file's text; null when the file has no such service. */
export function serviceIn(text: string, service: string): ServiceParams | null {
  let current: string | null = null
  let found: ServiceParams | null = null
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section) {
      current = section[1].trim()
      if (current === service) found ??= {}
      continue
    }
    const eq = line.indexOf('=')
    if (current === service && found && eq > 0) found[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return found
}

/** The service's parameters from the files libpq reads, in its order; throws naming the files when absent. */
export function serviceParams(service: string, env: Record<string, string | undefined>, where: string): ServiceParams {
  const files = [
    env.PGSERVICEFILE || join(homedir(), '.pg_service.conf'),
    join(env.PGSYSCONFDIR || '/etc/postgresql-common', 'pg_service.conf'),
  ]
  for (const file of files) {
    if (!existsSync(file)) continue
    const params = serviceIn(readFileSync(file, 'utf8'), service)
    if (params) return params
  }
  throw new ConfigError(`${where}: service "${service}" is not defined in ${files.join(' or ')}`)
}
