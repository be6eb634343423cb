// Runs one of replkit's commands as a fresh process, for what must be measured or tested as a
// user runs it (start-up included). Library code that only needs a result calls the library.
import { join } from 'node:path'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'

export interface Spawned {
  code: number
  stdout: string
  stderr: string
  ms: number
}

const tsx = join(repoRoot, 'node_modules/.bin/tsx')

/** scripts/NAME.ts with args; never throws on a non-zero exit (the caller judges it). */
export function runScript(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<Spawned> {
  return runTs(join(repoRoot, 'scripts', `${name}.ts`), args, env)
}

/** Any TypeScript entry point (a test tool, e.g. switchover-with-fault.ts) with args, as runScript runs a command. */
export async function runTs(path: string, args: string[] = [], env: Record<string, string> = {}): Promise<Spawned> {
  const started = performance.now()
  // NO_COLOR beside an inherited FORCE_COLOR makes node print a warning on every start.
  const { FORCE_COLOR: _ignored, ...inherited } = process.env
  const result = await $({
    cwd: repoRoot,
    nothrow: true,
    quiet: true,
    env: { ...inherited, ...env, NO_COLOR: '1' },
  })`${tsx} ${path} ${args}`
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started }
}
