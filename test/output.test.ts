// A command's last words reach its reader whole: main() exits only once stdout has handed what
// it holds to the OS, however slowly the reader reads (a pipe takes 64 KB at a time).
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'

/** A command that prints `bytes` bytes on stdout and returns `code`, as a JSON report would. */
const printsAndExits = (bytes: number, code: number) => `
  import { main } from './scripts/lib/output.ts'
  main(async () => {
    process.stdout.write('x'.repeat(${bytes}))
    return ${code}
  })`

/** Its stdout, read only after the command has had time to exit, and its exit code. */
async function readLate(script: string): Promise<{ bytes: number; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>(done => child.on('exit', done))
  child.stdout.pause()
  await sleep(1_500)
  const chunks: Buffer[] = []
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer)
  return { bytes: Buffer.concat(chunks).length, code: await exited }
}

test('a report larger than a pipe holds reaches a slow reader whole, with its exit code', async () => {
  assert.equal(await readLate(printsAndExits(1_000_000, 2)), { bytes: 1_000_000, code: 2 })
})

test.run()
