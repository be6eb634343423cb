#!/usr/bin/env node
// replkit — one command for every runbook step, the same steps as the make targets. Runs the
// build in dist/ (compiled once by make setup or npm run build; npm pack includes it), so a
// start never compiles TypeScript.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** command → [script in dist/scripts, fixed arguments], in the order of the runbook. */
const COMMANDS = {
  up: ['cluster', 'up'],
  down: ['cluster', 'down'],
  status: ['cluster', 'status'],
  cluster: ['cluster'],
  schema: ['schema'],
  seed: ['seed'],
  check: ['check-replication'],
  replicate: ['replicate'],
  sync: ['sync-replicas'],
  repair: ['repair'],
  verify: ['verify'],
  rollback: ['rollback'],
  'fix-conflict': ['fix-conflict'],
  sequences: ['sync-sequences', '--report'],
  'sync-sequences': ['sync-sequences'],
  switchover: ['switchover'],
  metrics: ['metrics'],
  'final-state': ['final-state'],
}

/**
 * --primary URL and --replica URL (repeatable), for any command: PRIMARY_URL and REPLICA_URLS
 * without a .env. Only a postgres:// or postgresql:// value is a connection: `--replica NAME`
 * stays the flag of sync, repair and fix-conflict. Never with a password: argv is visible to
 * every user of the machine (ps); the password comes from PGPASSWORD or .env.
 */
function connectionFlags(args) {
  const rest = []
  const replicas = []
  for (let i = 0; i < args.length; i++) {
    const flag = /^--(primary|replica)(?:=(.*))?$/.exec(args[i])
    const url = flag ? (flag[2] ?? args[i + 1]) : undefined
    if (!flag || !/^postgres(ql)?:\/\//.test(url ?? '')) {
      if (flag?.[1] === 'primary') fail(`--primary needs a postgres:// URL`)
      rest.push(args[i])
      continue
    }
    if (flag[2] === undefined) i++
    let parsed
    try {
      parsed = new URL(url)
    } catch {
      fail(`--${flag[1]} is not a valid postgres:// URL`)
    }
    if (parsed.password)
      fail(
        `--${flag[1]}: no password on the command line (every user can read it with ps): put it in PGPASSWORD or .env`,
      )
    if (flag[1] === 'primary') process.env.PRIMARY_URL = url
    else replicas.push(url)
  }
  if (replicas.length) process.env.REPLICA_URLS = replicas.join(',')
  return rest
}

function fail(message) {
  console.error(`replkit: ${message}`)
  process.exit(1)
}

const [name, ...rest] = connectionFlags(process.argv.slice(2))
if (!name || name === 'help' || name === '--help' || name === '-h') {
  console.log(
    `usage: replkit [--primary URL --replica URL ...] COMMAND [FLAGS]   (replkit COMMAND --help for its flags)\n\ncommands: ${Object.keys(COMMANDS).join(', ')}\n\n` +
      'Connection settings come from --primary/--replica, the environment or .env (PRIMARY_URL, REPLICA_URLS;\n' +
      'see config/.env.example); passwords from PGPASSWORD or .env, never the command line.',
  )
  process.exit(0)
}
if (name === '--version') {
  const { default: pkg } = await import('../package.json', { with: { type: 'json' } })
  console.log(pkg.version)
  process.exit(0)
}
const entry = COMMANDS[name]
if (!entry) fail(`unknown command "${name}" (replkit help lists them)`)
const [script, ...fixed] = entry
const compiled = new URL(`../dist/scripts/${script}.js`, import.meta.url)
if (!existsSync(compiled)) fail('not built yet: run make setup (or npm run build) in the checkout')
process.argv = [process.argv[0], fileURLToPath(compiled), ...fixed, ...rest]
await import(compiled.href)
