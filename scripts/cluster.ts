// make up / down / status / clean: the local three-node cluster (or as many nodes as the URLs name).
import { rm } from 'node:fs/promises'
import { type Config, allNodes, findNode, loadConfig } from './lib/config.js'
import { EXIT, ReplkitError } from './lib/errors.js'
import {
  type LocalNode,
  dataMajor,
  localNode,
  localNodes,
  nodeState,
  prepareClusterDir,
  restartNode,
  startNode,
  stopNode,
  upNode,
  requirePasswords,
} from './lib/cluster/local-cluster.js'
import { formatTable, main, mark } from './lib/output.js'
import { downPgbouncer, upPgbouncer } from './lib/cluster/pgbouncer.js'
import { cli } from './lib/flags.js'
import { ensureReplicatorPasswordFile } from './lib/cluster/secrets.js'

const argv = await cli(
  'cluster',
  '$0 <command> [node]\n\nThe local cluster: one data directory per node under CLUSTER_DIR (default .cluster/).',
)
  .command('up', 'create and start every node (idempotent)')
  .command('down', 'stop every node cleanly')
  .command('status', 'show each node: data directory, running, port')
  .command('nodes', 'print the configured nodes (for make help); reads nothing from the servers')
  .command('clean', 'stop every node and delete CLUSTER_DIR (needs --yes)')
  .command('start <node>', 'start one node')
  .command('stop <node>', 'stop one node (fast shutdown)')
  .command('restart <node>', 'restart one node (fast shutdown)')
  .option('yes', { type: 'boolean', default: false, describe: 'confirm a destructive command' })
  .demandCommand(1)
  .parse()

// Loaded first thing in main, so a bad configuration is one line, not a stack trace.
let config: Config
let nodes: LocalNode[]
const one = (): LocalNode => localNode(config, findNode(config, String(argv.node)))

/** For make help: the configured nodes; reads nothing from the servers. */
async function listNodes(): Promise<void> {
  console.log(`\nNodes (PRIMARY_URL, REPLICA_URLS from the environment, .env or config/.env.example):`)
  for (const n of allNodes(config))
    console.log(
      `  ${n.name.padEnd(10)} ${n.role.padEnd(8)} ${n.label}  sslmode=${n.sslmode}  local cluster: PostgreSQL ${config.localMajors[n.name] ?? `? (${config.pgVersionsProblem})`}`,
    )
}

async function up(): Promise<void> {
  const started = Date.now()
  requirePasswords(nodes)
  await prepareClusterDir(config)
  await ensureReplicatorPasswordFile(config)
  const outcomes = await Promise.all(nodes.map(n => upNode(config, n)))
  const bouncer = config.pgbouncer && (await upPgbouncer(config, config.pgbouncer))
  if (bouncer)
    mark.ok(`PgBouncer ${bouncer} on ${config.pgbouncer!.host}:${config.pgbouncer!.port}, in front of the PRIMARY`)
  if (outcomes.every(o => o === 'running')) {
    mark.ok(`cluster already running (${nodes.map(n => `${n.spec.name}:${n.spec.port}`).join(', ')})`)
    return
  }
  nodes.forEach((n, i) => {
    mark.ok(`${n.spec.name} ${outcomes[i]} on ${n.spec.host}:${n.spec.port}, database ${n.spec.database}`)
  })
  mark.ok(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

async function down(): Promise<void> {
  if (config.pgbouncer && (await downPgbouncer(config.pgbouncer))) mark.ok('PgBouncer stopped')
  await Promise.all(
    nodes.map(async n => {
      if ((await nodeState(config, n)) !== 'running') return mark.info(`${n.spec.name} not running`)
      await stopNode(config, n)
      mark.ok(`${n.spec.name} stopped`)
    }),
  )
}

/** A report, not a probe: a stopped cluster is a state to show (make status exits 0); pg_ctl status probes one node. */
async function status(): Promise<void> {
  const states = await Promise.all(nodes.map(n => nodeState(config, n)))
  const majors = await Promise.all(nodes.map(dataMajor))
  const version = (n: LocalNode, found: number | null) =>
    found === null || found === n.major ? String(n.major) : `${found} (PG_VERSIONS asks ${n.major})`
  const rows = nodes.map((n, i) => [
    n.spec.name,
    states[i],
    version(n, majors[i]),
    `${n.spec.host}:${n.spec.port}`,
    n.dataDir,
  ])
  console.log(formatTable(['node', 'state', 'PostgreSQL', 'address', 'data directory'], rows))
}

async function clean(): Promise<void> {
  if (!argv.yes) throw new ReplkitError(`clean deletes ${config.clusterDir} and all its data: re-run with --yes`)
  if (config.pgbouncer) await downPgbouncer(config.pgbouncer)
  await Promise.all(
    nodes.map(async n => {
      if ((await nodeState(config, n)) === 'running') await stopNode(config, n, 'immediate')
    }),
  )
  await rm(config.clusterDir, { recursive: true, force: true })
  mark.ok(`removed ${config.clusterDir}`)
}

async function start(): Promise<void> {
  const n = one()
  if ((await nodeState(config, n)) === 'running') return mark.ok(`${n.spec.name} already running`)
  await startNode(config, n)
  mark.ok(`${n.spec.name} started`)
}

async function stop(): Promise<void> {
  const n = one()
  if ((await nodeState(config, n)) !== 'running') return mark.ok(`${n.spec.name} not running`)
  await stopNode(config, n)
  mark.ok(`${n.spec.name} stopped`)
}

async function restart(): Promise<void> {
  const n = one()
  await restartNode(config, n)
  mark.ok(`${n.spec.name} restarted`)
}

const commands: Record<string, () => Promise<void>> = {
  nodes: listNodes,
  up,
  down,
  status,
  clean,
  start,
  stop,
  restart,
}

main(
  async () => {
    config = loadConfig()
    nodes = localNodes(config)
    await commands[String(argv._[0])]()
    return EXIT.ok
  },
  { deadlineMs: 300_000 },
)
