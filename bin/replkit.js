#!/usr/bin/env node
// replkit — one command for every runbook step, the same steps as the make targets. Runs the
// build in dist/ (compiled once by make setup or npm run build; npm pack includes it), so a
// start never compiles TypeScript.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** command → [what it does, script in dist/scripts, fixed arguments], in the order of the runbook. */
const COMMANDS = {
  up: ['create and start the local cluster', 'cluster', 'up'],
  down: ['stop the local cluster', 'cluster', 'down'],
  status: ["show the local cluster's nodes", 'cluster', 'status'],
  cluster: ['the local cluster: up, down, status, start, stop, restart, clean', 'cluster'],
  schema: ['apply sql/schema to every node', 'schema'],
  seed: ['load products.json into the PRIMARY (idempotent)', 'seed'],
  check: ['health report with a fix per problem; exit 0/1/2/3', 'check-replication'],
  replicate: ['set up logical replication (publication, role, pg_hba, subscriptions)', 'replicate'],
  sync: ["bring replicas back to the PRIMARY's rows (repair or atomic copy)", 'sync-replicas'],
  repair: ["repair a replica's differing rows", 'repair'],
  verify: ['pgTAP suites on every node: rows, canary, lag', 'verify'],
  rollback: ['remove replication (needs --yes)', 'rollback'],
  'fix-conflict': ['show and resolve what stopped a subscription', 'fix-conflict'],
  sequences: ['report sequence values per node', 'sync-sequences', '--report'],
  'sync-sequences': ["raise replicas' sequences to the PRIMARY's", 'sync-sequences'],
  migrate: ['apply a DDL file to every node in the order that keeps apply running', 'migrate'],
  switchover: ['make a replica the PRIMARY, nothing lost', 'switchover'],
  metrics: ['Prometheus exporter', 'metrics'],
  'final-state': ["the runbook's expected final state", 'final-state'],
}

/** The known command nearest to a mistyped one (at most two edits away), for "did you mean". */
function nearest(word) {
  const distance = (a, b) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) d[0][j] = j
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    return d[a.length][b.length]
  }
  const [best] = Object.keys(COMMANDS)
    .map(c => [c, distance(word, c)])
    .sort((x, y) => x[1] - y[1])
  return best[1] <= 2 ? best[0] : null
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
  const width = Math.max(...Object.keys(COMMANDS).map(c => c.length))
  const list = Object.entries(COMMANDS)
    .map(([c, [what]]) => `  ${c.padEnd(width)}  ${what}`)
    .join('\n')
  console.log(
    `usage: replkit [--primary URL --replica URL ...] COMMAND [FLAGS]   (replkit COMMAND --help for its flags)\n\ncommands:\n${list}\n\n` +
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
if (!entry) {
  const guess = nearest(name)
  fail(`unknown command "${name}"${guess ? ` — did you mean "${guess}"?` : ''} (replkit help lists them)`)
}
const [, script, ...fixed] = entry
// Help and errors name the command as typed: "replkit check", not the script behind it.
process.env.REPLKIT_COMMAND = script === 'cluster' ? 'replkit' : `replkit ${name}`
const compiled = new URL(`../dist/scripts/${script}.js`, import.meta.url)
if (!existsSync(compiled)) fail('not built yet: run make setup (or npm run build) in the checkout')
process.argv = [process.argv[0], fileURLToPath(compiled), ...fixed, ...rest]
await import(compiled.href)
