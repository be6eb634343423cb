// psql runner: versioned .sql files are piped through psql exactly as an operator would run
// them. The connection comes from libpq's environment (libpq.ts); secrets travel there or on stdin (\set), never in argv.
import type { NodeSpec } from './config.js'
import { ReplkitError } from './errors.js'
import { clientEnv } from './libpq.js'

export interface PsqlOptions {
  files?: string[]
  commands?: string[]
  /** Plain psql variables (-v): names, table lists — never secrets. */
  vars?: Record<string, string>
  /** Variables that may hold secrets: set with \set on stdin, so they never reach argv. */
  secretVars?: Record<string, string>
  singleTransaction?: boolean
  database?: string
}

/** psql's quoting for a \set value: single quotes, with ' and \ escaped. */
function psqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export async function psql(node: NodeSpec, opts: PsqlOptions): Promise<string> {
  const { $ } = await import('zx') // loaded on first use: make check never runs psql
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1']
  if (opts.singleTransaction) args.push('--single-transaction')
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-v', `${k}=${v}`)
  let input: string | undefined
  if (opts.secretVars) {
    input = Object.entries(opts.secretVars).map(([k, v]) => `\\set ${k} ${psqlLiteral(v)}\n`).join('')
    input += (opts.files ?? []).map(f => `\\i ${psqlLiteral(f)}\n`).join('')
    args.push('-f', '-')
  } else {
    for (const f of opts.files ?? []) args.push('-f', f)
  }
  for (const c of opts.commands ?? []) args.push('-c', c)
  const secrets = [node.password, ...Object.values(opts.secretVars ?? {})].filter(Boolean)
  // replkit's own sessions write even on a database make switchover left read-only for clients
  // (a demoted PRIMARY): the fence keeps applications out, not the operator's tool.
  const base = clientEnv(node, { database: opts.database })
  const env = { ...base, PGOPTIONS: `${base.PGOPTIONS ?? ''} -c default_transaction_read_only=off`.trim() }
  const result = await $({ env, quiet: true, nothrow: true, input })`psql ${args}`
  if (result.exitCode !== 0) {
    let message = result.stderr.trim().split('\n').filter(Boolean).join(' | ')
    for (const secret of secrets) message = message.split(secret).join('***')
    throw new ReplkitError(`${node.name}: psql failed: ${message}`)
  }
  return result.stdout
}
