// Every command as a user runs it, against bad input: one clear line naming what is wrong, a
// non-zero exit (3, UNKNOWN, for the monitoring command, through npm run too), no stack trace,
// nothing written. And .env settings that must reach what the commands do.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'
import { runScript } from './helpers.js'

const cli = suite('commands on bad input')

/** Each command with arguments that get it past flag parsing into its main. */
const COMMANDS: [string, string[]][] = [
  ['check-replication', []],
  ['replicate', ['--dry-run']],
  ['rollback', ['--dry-run']],
  ['seed', ['--dry-run']],
  ['schema', ['--dry-run']],
  ['verify', []],
  ['sync-replicas', ['--dry-run']],
  ['fix-conflict', []],
  ['sync-sequences', ['--report']],
  ['chaos', []],
  ['cluster', ['status']],
  ['final-state', []],
  ['bench', ['--quick']],
  ['switchover', ['--to', 'replica1', '--dry-run']],
  ['metrics', ['--once']],
  ['repair', ['--replica', 'replica1', '--dry-run']],
  ['migrate', ['--file', 'data/products.json', '--dry-run']],
]

const oneLine = (stderr: string) => stderr.trim().split('\n').filter(Boolean)

cli('a bad PRIMARY_URL: every command says so in one line and exits non-zero', async () => {
  for (const [name, args] of COMMANDS) {
    const run = await runScript(name, args, { PRIMARY_URL: 'http://127.0.0.1:54321/shop' })
    const lines = oneLine(run.stderr)
    assert.ok(run.code !== 0, `${name} exited 0`)
    assert.is(lines.length, 1, `${name} printed ${lines.length} lines:\n${run.stderr}`)
    assert.match(lines[0], /PRIMARY_URL must start with postgres:\/\//, name)
    assert.not.match(run.stderr, /\n\s+at /, `${name} printed a stack trace`)
    assert.is(run.stdout.trim(), '', `${name} printed on stdout:\n${run.stdout}`)
  }
})

cli('make up without a password: one line naming the node, and no cluster directory is made', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'replkit-nopw-')), 'cluster')
  const run = await runScript('cluster', ['up'], {
    CLUSTER_DIR: dir,
    PGPASSWORD: '',
    PRIMARY_URL: 'postgres://postgres@127.0.0.1:55491/shop',
    REPLICA_URLS: 'postgres://postgres@127.0.0.1:55492/shop',
  })
  assert.is.not(run.code, 0)
  assert.equal(oneLine(run.stderr).length, 1, run.stderr)
  assert.match(run.stderr, /primary: no password for user "postgres"/)
  assert.not.ok(existsSync(dir), 'the cluster directory was made')
})

cli('check-replication exits 3 (UNKNOWN) for a configuration error, directly and through npm run', async () => {
  const direct = await runScript('check-replication', [], { PRIMARY_URL: 'postgres://127.0.0.1:54321' })
  assert.is(direct.code, 3)
  assert.match(direct.stderr, /PRIMARY_URL names no database/)
  const npm = await $({
    cwd: repoRoot,
    nothrow: true,
    quiet: true,
    env: { ...process.env, PRIMARY_URL: 'nonsense' },
  })`npm run -s check-replication`
  assert.is(npm.exitCode, 3)
  assert.match(npm.stderr, /PRIMARY_URL is not a valid postgres:\/\/ URL/)
})

cli('a malformed flag value is one line naming the flag, exit 3 for check, 1 elsewhere', async () => {
  for (const [args, flag] of [
    [['--max-lag', 'abc'], 'max-lag'],
    [['--max-lag', '-5'], 'max-lag'],
    [['--connect-timeout', '0'], 'connect-timeout'],
  ] as const) {
    const run = await runScript('check-replication', [...args])
    assert.is(run.code, 3, args.join(' '))
    assert.is(oneLine(run.stderr).length, 1, run.stderr)
    assert.match(run.stderr, new RegExp(`--${flag} must be a number`))
  }
  const unknown = await runScript('replicate', ['--bogus'])
  assert.is(unknown.code, 1)
  assert.match(unknown.stderr, /Unknown argument: bogus/)
  assert.is(oneLine(unknown.stderr).length, 1, unknown.stderr)
  const timeout = await runScript('sync-replicas', ['--dry-run', '--timeout', 'soon'])
  assert.is(timeout.code, 1)
  assert.match(timeout.stderr, /--timeout must be a number above 0, not "soon"/)
  const batch = await runScript('repair', ['--replica', 'replica1', '--dry-run', '--batch', '0'])
  assert.is(batch.code, 1)
  assert.is(oneLine(batch.stderr).length, 1, batch.stderr)
  assert.match(batch.stderr, /--batch must be/)
  const unknownReplica = await runScript('repair', ['--replica', 'nosuch', '--yes'])
  assert.is(unknownReplica.code, 1)
  assert.match(unknownReplica.stderr, /--replica nosuch: not a replica \(replicas: replica1, replica2\)/)
})

cli('a flag without its value is refused by name, never read as 0 or its default', async () => {
  for (const args of [['--max-lag'], ['--max-lag='], ['--max-lag', '--json']]) {
    const run = await runScript('check-replication', args)
    assert.is(run.code, 3, args.join(' '))
    assert.is(oneLine(run.stderr).length, 1, run.stderr)
    assert.match(run.stderr, /--max-lag needs a value|Not enough arguments following: max-lag/, args.join(' '))
    assert.is(run.stdout.trim(), '', run.stdout)
  }
  const replica = await runScript('sync-replicas', ['--replica', '--yes'])
  assert.is(replica.code, 1)
  assert.match(replica.stderr, /Not enough arguments following: replica/)
})

cli('output cut short by its reader (| head -1): exit 0, no stack trace', async () => {
  const run = await $({ cwd: repoRoot, nothrow: true, quiet: true })`node bin/replkit.js seed --dry-run | head -1`
  assert.is(run.stdout.split('\n').filter(Boolean).length, 1, run.stdout)
  assert.not.match(run.stderr, /EPIPE|\n\s+at /, run.stderr)
  const status = await $({
    cwd: repoRoot,
    nothrow: true,
    quiet: true,
  })`set -o pipefail; node bin/replkit.js final-state | head -2`
  assert.is(status.exitCode, 0, status.stderr)
  assert.not.match(status.stderr, /EPIPE/, status.stderr)
})

cli('a port that answers HTTP, not PostgreSQL: check names it and exits within its deadline', async () => {
  const server = createServer((_req, res) => res.end('not postgres'))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const started = Date.now()
    const run = await runScript('check-replication', ['--json', '--connect-timeout', '2'], {
      PRIMARY_URL: `postgres://postgres:x@127.0.0.1:${port}/shop`,
    })
    const seconds = (Date.now() - started) / 1000
    assert.is(run.code, 2, run.stderr)
    const report = JSON.parse(run.stdout) as { verdicts: { node: string; problem: string }[] }
    const down = report.verdicts.find(v => v.node === 'primary')!
    assert.match(down.problem, /does not speak the PostgreSQL protocol: it answered "HTTP\/1\.1/)
    assert.ok(seconds < 15, `took ${seconds} s`)
  } finally {
    server.close()
  }
})

cli(
  "SUBSCRIPTION_HOST and SUBSCRIPTION_PORT written in .env reach the subscription's conninfo (--dry-run)",
  async () => {
    const envFile = join(repoRoot, '.env')
    const before = existsSync(envFile) ? await readFile(envFile, 'utf8') : null
    try {
      await writeFile(envFile, `${before ?? ''}\nSUBSCRIPTION_HOST=primary.internal.example\nSUBSCRIPTION_PORT=6543\n`)
      const env = { ...process.env }
      delete env.SUBSCRIPTION_HOST
      delete env.SUBSCRIPTION_PORT
      const run = await $({
        cwd: repoRoot,
        nothrow: true,
        quiet: true,
        env: { ...env, NO_COLOR: '1' },
      })`${join(repoRoot, 'node_modules/.bin/tsx')} scripts/replicate.ts --dry-run --truncate-replicas --yes`
      assert.is(run.exitCode, 0, run.stdout + run.stderr)
      const lines = run.stdout.split('\n').filter(l => / connects with: /.test(l))
      assert.ok(lines.length > 0, run.stdout)
      for (const line of lines) {
        assert.match(line, /host=primary\.internal\.example port=6543 /)
        assert.match(line, /password=<secret>/)
      }
    } finally {
      if (before === null) await rm(envFile, { force: true })
      else await writeFile(envFile, before)
    }
  },
)

cli(
  'a wrong --replica, --table, --to or --lsn is named before anything asks for --yes, and nothing is written',
  async () => {
    for (const [name, args, message] of [
      [
        'repair',
        ['--replica', 'nosuch'],
        /^replkit: --replica nosuch: not a replica \(replicas: replica1, replica2\)$/,
      ],
      ['sync-replicas', ['--replica', 'nosuch'], /^replkit: --replica nosuch: not a replica/],
      ['fix-conflict', ['--replica', 'nosuch', '--resync'], /^replkit: --replica nosuch: not a replica/],
      ['sync-replicas', ['--replica', 'replica1', '--table', 'nope'], /^replkit: --table nope: not a replicated table/],
      ['switchover', ['--to', 'nosuch'], /^replkit: no node named "nosuch" \(nodes: primary, replica1, replica2\)$/],
      ['fix-conflict', ['--replica', 'replica1', '--skip', '--lsn', 'zz'], /^replkit: --lsn zz: not an LSN/],
    ] as const) {
      const run = await runScript(name, [...args])
      assert.is(run.code, 1, `${name}: ${run.stderr}`)
      assert.match(run.stderr.trim(), message)
      assert.not.match(run.stderr, /--yes/)
    }
  },
)

cli.run()
