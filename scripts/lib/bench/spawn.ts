// The bench drives replkit's own commands as a user would: each is a separate tsx process, so
// what is timed is what `make <target>` costs, start-up included.
import { join } from 'node:path'
import { $ } from 'zx'
import { repoRoot } from '../config.js'
import { ReplkitError } from '../errors.js'

const tsx = join(repoRoot, 'node_modules/.bin/tsx')

export interface Spawned {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Runs scripts/NAME.ts with args; never throws on a non-zero exit (the caller judges it). */
export async function runScript(name: string, args: string[] = []): Promise<Spawned> {
  const started = performance.now()
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true, env: { ...process.env, NO_COLOR: '1' } })`${tsx} ${join(repoRoot, 'scripts', `${name}.ts`)} ${args}`
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started }
}

const tail = (text: string) => text.trim().split('\n').slice(-8).join('\n')

/** Runs a script that must succeed (exit 0). */
export async function runStep(name: string, args: string[] = []): Promise<Spawned> {
  const run = await runScript(name, args)
  if (run.code !== 0) throw new ReplkitError(`bench: ${name} ${args.join(' ')} exited ${run.code}:\n${tail(run.stdout + '\n' + run.stderr)}`)
  return run
}

/** Runs a bench script with --json; exit 1 only means a target was missed, so its JSON is still read. */
export async function runJson<T>(name: string, args: string[]): Promise<T> {
  const run = await runScript(name, [...args, '--json'])
  if (run.code > 1) throw new ReplkitError(`bench: ${name} exited ${run.code}:\n${tail(run.stdout + '\n' + run.stderr)}`)
  try {
    return JSON.parse(run.stdout) as T
  } catch {
    throw new ReplkitError(`bench: ${name} --json printed no JSON:\n${tail(run.stdout + '\n' + run.stderr)}`)
  }
}
