// make test: unit tests, then the local cluster (brought up when down), integration tests and
// pgTAP suites. Ends with "N passed, N failed"; a suite that ran nothing counts as a failure.
import { join } from 'node:path'
import { $ } from 'zx'
import { allNodes, loadConfig, repoRoot } from './lib/config.js'
import { ensurePgtap, pgProve } from './lib/checks/pgtap.js'
import { colour, main } from './lib/output.js'
import { cli } from './lib/flags.js'

const argv = await cli(
  'run-tests',
  "$0 [--only unit|integration|pgtap|verify]\n\nAll of replkit's tests; brings the local cluster up (and replicated) when it is not.",
)
  .option('only', {
    requiresArg: true,
    type: 'string',
    choices: ['unit', 'integration', 'pgtap', 'verify'],
    describe: 'run one kind of test',
  })
  .parse()

interface Tally {
  name: string
  passed: number
  failed: number
}
const tallies: Tally[] = []
const tsx = join(repoRoot, 'node_modules/.bin/tsx')

/** uvu prints "Total: N  Passed: N  Skipped: N"; anything else (a crash, no tests) is a failure. */
async function uvu(name: string, dir: string, ignore?: string): Promise<void> {
  console.log(colour.bold(`\n== ${name}`))
  const args = [
    '--import',
    'tsx',
    'node_modules/uvu/bin.js',
    dir,
    '\\.test\\.ts$',
    ...(ignore ? ['-i', ignore] : []),
    ...(process.stdout.isTTY ? [] : ['--no-color']),
  ]
  const result = await $({
    cwd: repoRoot,
    nothrow: true,
    quiet: true,
    env: { ...process.env, FORCE_COLOR: '0' },
  })`node ${args}`
  process.stdout.write(result.stdout + result.stderr)
  const total = Number(/Total:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0)
  const passed = Number(/Passed:\s+(\d+)/.exec(result.stdout)?.[1] ?? 0)
  const failed = total - passed + (result.exitCode !== 0 && total === passed ? 1 : 0) + (total === 0 ? 1 : 0)
  tallies.push({ name, passed, failed })
}

async function script(name: string, args: string[] = [], quiet = false) {
  await $({ cwd: repoRoot, stdio: quiet ? 'pipe' : 'inherit', quiet })`${tsx} ${join('scripts', `${name}.ts`)} ${args}`
}

async function prepareCluster(): Promise<void> {
  console.log(colour.bold('\n== local cluster: up, schema, seed, replicate'))
  await script('cluster', ['up'])
  await script('schema')
  await script('seed', [], true)
  // A previous run may have left replicas with rows but no subscription: converge from any state.
  await script('replicate', ['--truncate-replicas', '--yes', '--restart-primary'], true)
}

/** Every node carries the same schema, with the keys and constraints the shop relies on. */
async function pgtap(): Promise<void> {
  const config = loadConfig()
  for (const node of allNodes(config)) {
    console.log(colour.bold(`\n== pgTAP pgtap/schema.sql on ${node.name}`))
    await ensurePgtap(node)
    const result = await pgProve(node, [join(repoRoot, 'pgtap/schema.sql')])
    process.stdout.write(result.output)
    tallies.push({
      name: `pgtap schema ${node.name}`,
      passed: result.passed,
      failed: result.failed + (result.ok || result.failed ? 0 : 1),
    })
  }
}

/** The runbook's success criteria (make verify) on the replicated cluster. */
async function verifySuites(): Promise<void> {
  console.log(colour.bold('\n== make verify (pgTAP suites by pg_prove, all nodes)'))
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true })`${tsx} scripts/verify.ts --json`
  try {
    const report = JSON.parse(result.stdout) as {
      passed: number
      failed: number
      suites: { suite: string; node: string; ok: boolean; failures: string[] }[]
    }
    for (const s of report.suites)
      console.log(
        `  ${s.ok ? colour.green('✓') : colour.red('✗')} ${s.suite} on ${s.node}${s.failures.map(f => `\n      ✗ ${f}`).join('')}`,
      )
    tallies.push({
      name: 'verify suites',
      passed: report.passed,
      failed: report.failed + (report.passed === 0 ? 1 : 0),
    })
  } catch {
    process.stdout.write(result.stdout + result.stderr)
    tallies.push({ name: 'verify suites', passed: 0, failed: 1 })
  }
}

/** The shipped Prometheus configuration and alert rules: promtool's own checks and rule unit tests. */
async function promtool(): Promise<void> {
  console.log(colour.bold('\n== promtool: config/prometheus (check config, test rules)'))
  for (const args of [
    ['check', 'config', 'config/prometheus/prometheus.yml'],
    ['test', 'rules', 'config/prometheus/alerts.test.yml'],
  ]) {
    const result = await $({ cwd: repoRoot, nothrow: true, quiet: true })`promtool ${args}`
    process.stdout.write(result.stdout + result.stderr)
    tallies.push({
      name: `promtool ${args[0]} ${args[1]}`,
      passed: result.exitCode === 0 ? 1 : 0,
      failed: result.exitCode === 0 ? 0 : 1,
    })
  }
}

/** Biome's formatter and linter over scripts, tests and bin (biome.json): one pass or one failure. */
async function lint(): Promise<void> {
  console.log(colour.bold('\n== lint (biome ci: formatting and lint rules)'))
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true })`node_modules/.bin/biome ci --colors=off`
  process.stdout.write(result.stdout + result.stderr)
  tallies.push({ name: 'lint', passed: result.exitCode === 0 ? 1 : 0, failed: result.exitCode === 0 ? 0 : 1 })
}

/** Strict TypeScript over scripts, tests and benches: one pass or one failure. */
async function typecheck(): Promise<void> {
  console.log(colour.bold('\n== typecheck (tsc --noEmit, strict)'))
  const result = await $({ cwd: repoRoot, nothrow: true, quiet: true })`node_modules/.bin/tsc --noEmit`
  process.stdout.write(result.stdout + result.stderr)
  tallies.push({ name: 'typecheck', passed: result.exitCode === 0 ? 1 : 0, failed: result.exitCode === 0 ? 0 : 1 })
}

main(async () => {
  const only = argv.only
  if (!only) {
    await lint()
    await typecheck()
  }
  if (!only || only === 'unit') {
    await uvu('unit tests', 'test', 'integration')
    await promtool()
  }
  if (only !== 'unit') await prepareCluster()
  if (!only || only === 'integration') await uvu('integration tests', 'test/integration')
  if (!only || only === 'pgtap') await pgtap()
  if (!only || only === 'verify') await verifySuites()
  const passed = tallies.reduce((n, t) => n + t.passed, 0)
  const failed = tallies.reduce((n, t) => n + t.failed, 0)
  console.log('')
  for (const t of tallies)
    console.log(`  ${t.failed ? colour.red('✗') : colour.green('✓')} ${t.name}: ${t.passed} passed, ${t.failed} failed`)
  console.log(`${passed} passed, ${failed} failed`)
  return failed > 0 ? 1 : 0
})
