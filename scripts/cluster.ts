// make up / down / status / clean: the local three-node cluster (or as many nodes as the URLs name).
import { rm } from 'node:fs/promises'
import { allNodes, findNode, loadConfig } from './lib/config.js'
import { ReplkitError } from './lib/errors.js'
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

main(
  async () => {
    const config = loadConfig()
    const command = String(argv._[0])
    if (command === 'nodes') {
      console.log(`\nNodes (PRIMARY_URL, REPLICA_URLS from the environment, .env or config/.env.example):`)
      for (const n of allNodes(config))
        console.log(
          `  ${n.name.padEnd(10)} ${n.role.padEnd(8)} ${n.label}  sslmode=${n.sslmode}  local cluster: PostgreSQL ${config.localMajors[n.name] ?? `? (${config.pgVersionsProblem})`}`,
        )
      return 0
    }
    const nodes = localNodes(config)
    const one = (): LocalNode => localNode(config, findNode(config, String(argv.node)))

    switch (command) {
      case 'up': {
        const started = Date.now()
        requirePasswords(nodes)
        await prepareClusterDir(config)
        await ensureReplicatorPasswordFile(config)
        const outcomes = await Promise.all(nodes.map(n => upNode(config, n)))
        const bouncer = config.pgbouncer && (await upPgbouncer(config, config.pgbouncer))
        if (bouncer)
          mark.ok(
            `PgBouncer ${bouncer} on ${config.pgbouncer!.host}:${config.pgbouncer!.port}, in front of the PRIMARY`,
          )
        if (outcomes.every(o => o === 'running')) {
          mark.ok(`cluster already running (${nodes.map(n => `${n.spec.name}:${n.spec.port}`).join(', ')})`)
          return 0
        }
        nodes.forEach((n, i) => {
          mark.ok(`${n.spec.name} ${outcomes[i]} on ${n.spec.host}:${n.spec.port}, database ${n.spec.database}`)
        })
        mark.ok(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s`)
        return 0
      }
      case 'down': {
        if (config.pgbouncer && (await downPgbouncer(config.pgbouncer))) mark.ok('PgBouncer stopped')
        await Promise.all(
          nodes.map(async n => {
            if ((await nodeState(config, n)) !== 'running') return mark.info(`${n.spec.name} not running`)
            await stopNode(config, n)
            mark.ok(`${n.spec.name} stopped`)
          }),
        )
        return 0
      }
      case 'status': {
        const states = await Promise.all(nodes.map(n => nodeState(config, n)))
        const majors = await Promise.all(nodes.map(dataMajor))
        const version = (n: LocalNode, found: number | null) =>
          found === null || found === n.major ? String(n.major) : `${found} (PG_VERSIONS asks ${n.major})`
        console.log(
          formatTable(
            ['node', 'state', 'PostgreSQL', 'address', 'data directory'],
            nodes.map((n, i) => [
              n.spec.name,
              states[i],
              version(n, majors[i]),
              `${n.spec.host}:${n.spec.port}`,
              n.dataDir,
            ]),
          ),
        )
        // A report, not a probe: a stopped cluster is a state to show (make status exits 0); pg_ctl status probes one node.
        return 0
      }
      case 'clean': {
        if (!argv.yes) throw new ReplkitError(`clean deletes ${config.clusterDir} and all its data: re-run with --yes`)
        if (config.pgbouncer) await downPgbouncer(config.pgbouncer)
        await Promise.all(
          nodes.map(async n => {
            if ((await nodeState(config, n)) === 'running') await stopNode(config, n, 'immediate')
          }),
        )
        await rm(config.clusterDir, { recursive: true, force: true })
        mark.ok(`removed ${config.clusterDir}`)
        return 0
      }
      case 'start': {
        const n = one()
        if ((await nodeState(config, n)) === 'running') mark.ok(`${n.spec.name} already running`)
        else {
          await startNode(config, n)
          mark.ok(`${n.spec.name} started`)
        }
        return 0
      }
      case 'stop': {
        const n = one()
        if ((await nodeState(config, n)) !== 'running') mark.ok(`${n.spec.name} not running`)
        else {
          await stopNode(config, n)
          mark.ok(`${n.spec.name} stopped`)
        }
        return 0
      }
      case 'restart': {
        const n = one()
        await restartNode(config, n)
        mark.ok(`${n.spec.name} restarted`)
        return 0
      }
    }
  },
  { deadlineMs: 300_000 },
)
