// psql runner: versioned .sql files are piped through psql exactly as an operator would run
// them. The password travels in PGPASSWORD, never in argv.
import { $ } from 'zx'
import type { NodeSpec } from './config.js'
import { ReplkitError } from './errors.js'

export interface PsqlOptions {
  files?: string[]
  commands?: string[]
  vars?: Record<string, string>
  singleTransaction?: boolean
  database?: string
}

export function psqlEnv(node: NodeSpec): NodeJS.ProcessEnv {
  return { ...process.env, PGPASSWORD: node.password, PGCONNECT_TIMEOUT: '5', PGAPPNAME: 'replkit', PGOPTIONS: '-c TimeZone=UTC' }
}

/** Connection arguments without the password. */
export function psqlConnArgs(node: NodeSpec, database = node.database): string[] {
  return ['-h', node.host, '-p', String(node.port), '-U', node.user, '-d', database]
}

export async function psql(node: NodeSpec, opts: PsqlOptions): Promise<string> {
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...psqlConnArgs(node, opts.database)]
  if (opts.singleTransaction) args.push('--single-transaction')
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-v', `${k}=${v}`)
  for (const f of opts.files ?? []) args.push('-f', f)
  for (const c of opts.commands ?? []) args.push('-c', c)
  const result = await $({ env: psqlEnv(node), quiet: true, nothrow: true })`psql ${args}`
  if (result.exitCode !== 0) {
    const message = result.stderr.trim().split('\n').filter(Boolean).join(' | ')
    throw new ReplkitError(`${node.name}: psql failed: ${message.split(node.password || '\0').join('***')}`)
  }
  return result.stdout
}
