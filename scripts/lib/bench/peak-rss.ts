// The client's memory during a benchmark phase: shows that streamed work stays flat however
// many rows go through it. And the one way the benchmark runs the replkit command as a user
// does, which also reads that command's own peak.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot } from '../config.js'

/** Peak resident memory of this process while fn runs (sampled every 50 ms). */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 50)
  try {
    return { value: await fn(), peak: Math.max(peak, process.memoryUsage().rss) }
  } finally {
    clearInterval(timer)
  }
}

export interface CommandRun {
  code: number | null
  stdout: string
  stderr: string
  /** Peak resident memory of the command's process, in bytes. */
  peak: number
}

/** The kernel's high-water mark of a process's resident memory; 0 once it has gone. */
export async function highWaterMark(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

/**
 * The replkit command as a user runs it, in a process of its own and the environment given;
 * never throws on its exit code. Its peak memory is the command's alone, not the benchmark's:
 * the kernel's high-water mark (VmHWM), which keeps the highest value between two reads (every
 * 50 ms).
 */
export async function runReplkit(env: NodeJS.ProcessEnv, args: string[]): Promise<CommandRun> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/replkit.js'), ...args], { cwd: repoRoot, env })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => {
    stdout += chunk
  })
  child.stderr.on('data', chunk => {
    stderr += chunk
  })
  let peak = 0
  const timer = setInterval(async () => {
    peak = Math.max(peak, await highWaterMark(child.pid!))
  }, 50)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    return { code, stdout, stderr, peak }
  } finally {
    clearInterval(timer)
  }
}
