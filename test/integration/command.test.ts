// The replkit command as an operator installs it: from the checkout (node bin/replkit.js, npx
// replkit), and from a packed tarball installed on its own (npm pack, npm install -g into a
// fresh prefix), reading the .env of the directory it runs in. Connection flags never take a password.
import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { config } from './helpers.js'

const command = suite('the replkit command')
const validSteps = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'docs/schema/steps.schema.json'), 'utf8')),
)
const { FORCE_COLOR: _ignored, ...inherited } = process.env
const env = { ...inherited, NO_COLOR: '1' }
const url = (n: typeof config.primary, withPassword: boolean) =>
  `postgres://${n.user}${withPassword ? `:${encodeURIComponent(n.password)}` : ''}@${n.host}:${n.port}/${n.database}`

command(
  'from the checkout: every make target is a subcommand; exit codes and --json as the scripts have them',
  async () => {
    const help = await $({ cwd: repoRoot, env, quiet: true })`node bin/replkit.js help`
    for (const sub of ['seed', 'replicate', 'check', 'verify', 'sync', 'switchover', 'metrics', 'sequences'])
      assert.match(help.stdout, new RegExp(`\\b${sub}\\b`))
    const check = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js check --json`
    assert.is(check.exitCode, 0, check.stdout.slice(0, 1000))
    assert.is(JSON.parse(check.stdout).status, 'OK')
    const npx = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`npx --no-install replkit check --nagios`
    assert.is(npx.exitCode, 0)
    assert.match(npx.stdout, /^REPLKIT OK - /)
    const unknown = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js frobnicate`
    assert.is(unknown.exitCode, 1)
    assert.is(unknown.stderr.trim(), 'replkit: unknown command "frobnicate" (replkit help lists them)')
    const typo = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js chekc`
    assert.is(typo.stderr.trim(), 'replkit: unknown command "chekc" — did you mean "check"? (replkit help lists them)')
  },
)

command(
  '--dry-run --json: JSON alone on stdout, with the statements in it, for every command that has both; step commands match docs/schema/steps.schema.json',
  async () => {
    const ddl = join(await mkdtemp(join(tmpdir(), 'replkit-json-')), 'change.sql')
    await writeFile(ddl, 'ALTER TABLE orders ADD COLUMN gift_note text;')
    const runs: [string, string[], number][] = [
      ['switchover', ['--to', 'replica1'], 1],
      ['replicate', [], 0],
      ['rollback', [], 1],
      ['seed', [], 1],
      ['repair', ['--replica', 'replica1'], 0],
      ['sync', [], 0],
      ['fix-conflict', [], 0],
      ['migrate', ['--file', ddl], 2],
    ]
    const stepCommands = ['replicate', 'rollback', 'repair', 'sync', 'fix-conflict', 'migrate']
    for (const [sub, args, atLeast] of runs) {
      const run = await $({
        cwd: repoRoot,
        env,
        quiet: true,
        nothrow: true,
      })`node bin/replkit.js ${sub} ${args} --dry-run --json`
      let report: { dryRun: boolean; statements: string[] }
      try {
        report = JSON.parse(run.stdout)
      } catch {
        throw new Error(`${sub} --dry-run --json printed more than JSON: ${run.stdout.slice(0, 300)}`)
      }
      assert.is(report.dryRun, true, sub)
      if (stepCommands.includes(sub)) assert.ok(validSteps(report), `${sub}: ${JSON.stringify(validSteps.errors)}`)
      assert.ok(Array.isArray(report.statements), `${sub}: statements`)
      assert.ok(report.statements.length >= atLeast, `${sub}: ${report.statements.length} statements`)
    }
  },
)

command('help names each command as typed, with what it does; -h works; --help never runs the command', async () => {
  const help = await $({ cwd: repoRoot, env, quiet: true })`node bin/replkit.js help`
  assert.match(help.stdout, /\n {2}check +health report with a fix per problem/)
  for (const [sub, title] of [
    ['check', 'replkit check '],
    ['sync', 'replkit sync '],
    ['up', 'replkit up'],
    ['final-state', 'replkit final-state'],
  ]) {
    const run = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js ${sub} -h`
    assert.is(run.exitCode, 0, `${sub}: ${run.stderr}`)
    assert.ok(run.stdout.startsWith(title), `${sub} -h begins: ${run.stdout.split('\n')[0]}`)
    assert.not.match(run.stdout, /PRIMARY:|✓/, `${sub} -h ran the command`)
  }
  const bad = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js check --bogus`
  assert.is(bad.stderr.trim(), 'replkit check: Unknown argument: bogus (see --help)')
})

command('--primary / --replica instead of .env; a password there is refused before anything runs', async () => {
  const [replica1] = config.replicas
  const refused = await $({
    cwd: repoRoot,
    env,
    quiet: true,
    nothrow: true,
  })`node bin/replkit.js --primary ${url(config.primary, true)} check`
  assert.is(refused.exitCode, 1)
  assert.match(refused.stderr, /--primary: no password on the command line/)
  assert.not.match(
    refused.stderr + refused.stdout,
    new RegExp(config.primary.password === '' ? '$^' : `:${config.primary.password}@`),
  )
  const flags = await $({
    cwd: repoRoot,
    env: { ...env, PGPASSWORD: config.primary.password },
    quiet: true,
    nothrow: true,
  })`node bin/replkit.js --primary ${url(config.primary, false)} --replica ${url(replica1, false)} check --json`
  assert.is(flags.exitCode, 0, flags.stdout.slice(0, 1000) + flags.stderr)
  assert.equal(
    JSON.parse(flags.stdout).facts.replicas.map((r: { name: string }) => r.name),
    ['replica1'],
  )
})

command(
  '--replica NAME stays the flag of the commands that take one: the fixes make check prints run through the command',
  async () => {
    const [replica1] = config.replicas
    for (const args of [
      ['sync', '--replica', replica1.name, '--dry-run'],
      ['repair', '--replica', replica1.name, '--dry-run'],
    ]) {
      const run = await $({ cwd: repoRoot, env, quiet: true, nothrow: true })`node bin/replkit.js ${args}`
      assert.is(run.exitCode, 0, `${args.join(' ')}: ${run.stdout.slice(-500)}${run.stderr}`)
    }
    const fix = await $({
      cwd: repoRoot,
      env,
      quiet: true,
      nothrow: true,
    })`node bin/replkit.js fix-conflict --replica ${replica1.name}`
    assert.not.match(fix.stderr, /^replkit:/, fix.stderr)
    const make = await $({
      cwd: repoRoot,
      env,
      quiet: true,
      nothrow: true,
    })`make -s sync ARGS=${`--replica ${replica1.name} --dry-run`}`
    assert.is(make.exitCode, 0, make.stderr)
  },
)

command(
  'npm pack, npm install -g into a fresh prefix: replkit check works there with the .env of its working directory',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replkit-pack-'))
    try {
      await chmod(dir, 0o755)
      await $({ cwd: repoRoot, env, quiet: true })`npm pack --silent --pack-destination ${dir}`
      await $({
        cwd: dir,
        env,
        quiet: true,
      })`npm install -g --prefix ${join(dir, 'global')} --prefer-offline --no-audit --no-fund --loglevel=error ${join(dir, 'replkit-0.1.0.tgz')}`
      const work = join(dir, 'work')
      await $({ quiet: true })`mkdir -p ${work}`
      const bin = join(dir, 'global/bin/replkit')
      await writeFile(
        join(work, '.env'),
        `PRIMARY_URL=${url(config.primary, true)}\nREPLICA_URLS=${config.replicas.map(r => url(r, true)).join(',')}\nCLUSTER_DIR=${config.clusterDir}\n`,
      )
      // Only the working directory's .env names the nodes (the process environment would win over it).
      const fromEnvFile: NodeJS.ProcessEnv = { ...env }
      for (const k of ['PRIMARY_URL', 'REPLICA_URLS', 'REPLICA_NAMES', 'PRIMARY_NAME']) delete fromEnvFile[k]
      const ok = await $({ cwd: work, env: fromEnvFile, quiet: true, nothrow: true })`${bin} check --json`
      assert.is(ok.exitCode, 0, ok.stdout.slice(0, 1000) + ok.stderr)
      assert.is(JSON.parse(ok.stdout).facts.primary.label, config.primary.label)
      // A file named on the command line is read where the user is, not in the package.
      const products = JSON.parse(await readFile(join(repoRoot, 'data/products.json'), 'utf8')).slice(0, 2)
      await writeFile(join(work, 'p.json'), JSON.stringify(products))
      const seed = await $({
        cwd: work,
        env: fromEnvFile,
        quiet: true,
        nothrow: true,
      })`${bin} seed --dry-run --json --file p.json`
      assert.is(seed.exitCode, 0, seed.stdout + seed.stderr)
      const seeded = JSON.parse(seed.stdout)
      assert.is(seeded.file, 'p.json')
      assert.is(seeded.found, 2, seed.stdout)
      await writeFile(
        join(work, '.env'),
        `PRIMARY_URL=postgres://postgres:x@127.0.0.1:1/shop\nREPLICA_URLS=${url(config.replicas[0], true)}\n`,
      )
      const elsewhere = await $({ cwd: work, env: fromEnvFile, quiet: true, nothrow: true })`${bin} check --nagios`
      assert.is(
        elsewhere.exitCode,
        2,
        `the working directory's .env is the one read: ${elsewhere.stdout.slice(0, 600)}${elsewhere.stderr.slice(0, 600)}`,
      )
      assert.match(
        elsewhere.stdout,
        /^REPLKIT CRITICAL - primary: primary is down: cannot reach primary \(127\.0\.0\.1:1\/shop\)/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  },
)

command.run()
