// pgTAP suites run by pg_prove against one node. pgTAP lives in its own schema on every node
// (DDL is not replicated, so each node needs it), out of the way of the shop's public schema.
import { $ } from 'zx'
import type { NodeSpec } from '../config.js'
import { withNode } from '../db.js'
import { clientEnv } from '../libpq.js'

export async function ensurePgtap(node: NodeSpec): Promise<void> {
  await withNode(node, async sql => {
    await sql`create schema if not exists pgtap`
    await sql`create extension if not exists pgtap schema pgtap`
  })
}

export interface ProveResult {
  passed: number
  failed: number
  ok: boolean
  output: string
  /** Descriptions of the failed assertions, for tests that prove a suite can fail. */
  failures: string[]
}

/** The pg_prove command line; the connection (and the password) come from libpq's environment. */
export function pgProveArgs(files: string[], vars: Record<string, string> = {}): string[] {
  return [
    '--ext',
    '.sql',
    '--verbose',
    '--failures',
    ...Object.entries(vars).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
    ...files,
  ]
}

export async function pgProve(
  node: NodeSpec,
  files: string[],
  vars: Record<string, string> = {},
): Promise<ProveResult> {
  const result = await $({ env: clientEnv(node), quiet: true, nothrow: true })`pg_prove ${pgProveArgs(files, vars)}`
  const output = result.stdout + result.stderr
  const lines = output.split('\n')
  const passed = lines.filter(l => /^\s*ok \d+/.test(l)).length
  const failures = lines.filter(l => /^\s*not ok \d+/.test(l)).map(l => l.replace(/^\s*not ok \d+\s*-?\s*/, '').trim())
  const ranSomething = passed + failures.length > 0
  return { passed, failed: failures.length, ok: result.exitCode === 0 && ranSomething, output, failures }
}
