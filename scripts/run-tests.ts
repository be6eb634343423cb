// make test: unit tests, then the local cluster (brought up when down), integration tests and
// pgTAP suites. Ends with "N passed, N failed"; a suite that ran nothing counts as a failure.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { $ } from 'zx'
import { allNodes, loadConfig, repoRoot } from './lib/config.js'
import { ensurePgtap, pgProve } from './lib/pgtap.js'
import { colour, main } from './lib/report.js'

const argv = await yargs(hideBin(process.argv))
  .scriptName('run-tests')
  .usage('$0 [--only unit|integration|pgtap]\n\nAll of replkit\'s tests; brings the local cluster up when it is down.')
  .option('only', { type: 'string', choices: ['unit', 'integration', 'pgtap'], describe: 'run one kind of test' })
  .strict()
  .help()
  .parse()

interface Tally { name: string; passed: number; failed: number }
const tallies: Tally[] = []
const tsx = join(repoRoot, 'node_modules/.bin/tsx')

/** uvu prints "Total: N  Passed: N  Skipped: N"; anything else (a crash, no tests) is a failure. */
async function uvu(name: string, dir: string, ignore?: string): Promise<void> {
  console.log(colour.bold(`\n== ${name}`))
  const args = ['--import', 'tsx', 'node_modules/uvu/bin.js', dir, '\\.test\\.ts$', ...(ignore ? ['-i', ignore] : []), ...(process.stdout.isTTY ? [] : ['--no-color'])]
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true, env: { ...process.env, FORCE_COLOR: '0' } })`node ${args}`
  process.stdout.write(result.stdout + result.stderr)
  const total = Number(/Total:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0)
  const passed = Number(/Passed:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0)
  const failed = total - passed + (result.exitCode !== 0 && total === passed ? 1 : 0) + (total === 0 ? 1 : 0)
  tallies.push({ name, passed, failed })
}

async function prepareCluster(): Promise<void> {
  console.log(colour.bold('\n== local cluster'))
  for (const step of ['cluster.ts up', 'schema.ts']) {
    await $({ cwd: repoRoot, stdio: 'inherit' })`${tsx} ${['scripts/' + step.split(' ')[0], ...step.split(' ').slice(1)]}`
  }
  await $({ cwd: repoRoot, quiet: true })`${tsx} scripts/seed.ts`
}

async function pgtap(): Promise<void> {
  const config = loadConfig()
  const products = await readFile(join(repoRoot, 'data/products.json'), 'utf8')
  const runs: { node: (typeof config)['primary']; files: string[]; vars?: Record<string, string> }[] = [
    ...allNodes(config).map(node => ({ node, files: ['pgtap/schema.sql'] })),
    { node: config.primary, files: ['pgtap/seed.sql'], vars: { products_json: products } },
  ]
  for (const run of runs) {
    console.log(colour.bold(`\n== pgTAP ${run.files.join(' ')} on ${run.node.name}`))
    await ensurePgtap(run.node)
    const result = await pgProve(run.node, run.files.map(f => join(repoRoot, f)), run.vars)
    process.stdout.write(result.output)
    tallies.push({ name: `pgtap ${run.node.name}`, passed: result.passed, failed: result.failed + (result.ok || result.failed ? 0 : 1) })
  }
}

main(async () => {
  const only = argv.only
  if (!only || only === 'unit') await uvu('unit tests', 'test', 'integration')
  if (!only || only === 'integration' || only === 'pgtap') await prepareCluster()
  if (!only || only === 'integration') await uvu('integration tests', 'test/integration')
  if (!only || only === 'pgtap') await pgtap()
  const passed = tallies.reduce((n, t) => n + t.passed, 0)
  const failed = tallies.reduce((n, t) => n + t.failed, 0)
  console.log('')
  for (const t of tallies) console.log(`  ${t.failed ? colour.red('✗') : colour.green('✓')} ${t.name}: ${t.passed} passed, ${t.failed} failed`)
  console.log(`${passed} passed, ${failed} failed`)
  return failed > 0 ? 1 : 0
})
