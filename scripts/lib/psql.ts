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
export function psqlLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export async function psql(node: NodeSpec, opts: PsqlOptions): Promise<string> {
  const { $ } = await import('zx') // loaded on first use: make check never runs psql
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1']
  if (opts.singleTransaction) args.push('--single-transaction')
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-v', `${k}=${v}`)
  let input: string | undefined
  if (opts.secretVars) {
    input = Object.entries(opts.secretVars)
      .map(([k, v]) => `\\set ${k} ${psqlLiteral(v)}\n`)
      .join('')
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

export interface PsqlEnd {
  node: NodeSpec
  commands: string[]
  /** Extra server settings for this session (PGOPTIONS -c), e.g. session_replication_role. */
  settings?: Record<string, string>
  /** Plain psql variables (-v): names, table lists — never secrets. */
  vars?: Record<string, string>
}

export interface StartedPsql {
  child: import('node:child_process').ChildProcess
  /** Resolves when psql exits 0; rejects with its stderr (secrets redacted) otherwise. */
  exited: Promise<void>
  /** Everything psql wrote to stderr so far, secrets redacted. */
  stderr: () => string
}

/** One psql process for end (libpq environment, ON_ERROR_STOP), with the given stdio. */
export async function startPsql(end: PsqlEnd, stdio: ('pipe' | 'ignore')[]): Promise<StartedPsql> {
  const { spawn } = await import('node:child_process')
  const base = clientEnv(end.node)
  const settings = Object.entries(end.settings ?? {})
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ')
  const env = { ...process.env, ...base, PGOPTIONS: `${base.PGOPTIONS ?? ''} ${settings}`.trim() }
  const vars = Object.entries(end.vars ?? {}).flatMap(([k, v]) => ['-v', `${k}=${v}`])
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...vars, ...end.commands.flatMap(c => ['-c', c])]
  const child = spawn('psql', args, { env, stdio: stdio as never })
  let stderr = ''
  const redacted = () => (end.node.password ? stderr.split(end.node.password).join('***') : stderr)
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d
  })
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', code => {
      if (code === 0) return resolve()
      const message = redacted().trim().split('\n').filter(Boolean).join(' | ')
      reject(new ReplkitError(`${end.node.name}: psql failed: ${message || `exit ${code}`}`))
    })
  })
  return { child, exited, stderr: redacted }
}

/**
 * One psql's stdout into another's stdin, through an OS pipe (libpq on both ends, no rows
 * through Node): COPY … TO STDOUT on one node into COPY … FROM STDIN on another. Quiet (-q),
 * so command tags never enter the stream. Resolves when both exit 0.
 */
export async function psqlPipe(from: PsqlEnd, to: PsqlEnd): Promise<void> {
  const source = await startPsql(from, ['ignore', 'pipe', 'pipe'])
  const sink = await startPsql(to, ['pipe', 'ignore', 'pipe'])
  source.child.stdout!.pipe(sink.child.stdin!)
  // A failed end stops the other: a sink that dies must not leave the source blocked on a full pipe.
  const stop = () => {
    source.child.kill()
    sink.child.kill()
  }
  await Promise.all([
    source.exited.catch(e => {
      stop()
      throw e
    }),
    sink.exited.catch(e => {
      stop()
      throw e
    }),
  ])
}
