// The local cluster: one data directory per node under CLUSTER_DIR, started from PostgreSQL's
// own binaries on loopback ports taken from the node URLs. As root, the servers run as the
// `postgres` system user (PostgreSQL refuses to run as root).
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { type Config, type Major, type NodeSpec, allNodes, isLoopback } from '../config.js'
import { withNode } from '../db.js'
import { ConfigError, ReplkitError } from '../errors.js'
import {
  SERVER_USER,
  asServerUser,
  bin,
  blockedFor,
  copyBuildIfUnreachable,
  ensureServerUser,
  giveToServerUser,
  installedBinDir,
  isRoot,
  serverUid,
} from './binaries.js'
import { SHARED_CONF, ensureTls, nodeConf, renderHba, writeSharedConf } from './node-files.js'

export interface LocalNode {
  spec: NodeSpec
  /** The PostgreSQL major it runs (PG_VERSIONS). */
  major: Major
  dataDir: string
  logFile: string
  /** Network namespace the server is started in (the partition drill's node); the host's when absent. */
  netns?: string
  /** Addresses its pg_hba.conf admits for host connections; 127.0.0.1/32 when absent. */
  clientCidr?: string
}

export function localNodes(config: Config): LocalNode[] {
  return allNodes(config).map(spec => localNode(config, spec))
}

export function localNode(config: Config, spec: NodeSpec): LocalNode {
  if (!isLoopback(spec.host)) {
    throw new ReplkitError(
      `${spec.name} is at ${spec.host}, not on loopback: the local cluster runs only 127.0.0.1 nodes`,
    )
  }
  return {
    spec,
    major: config.localMajors[spec.name] ?? 15,
    dataDir: join(config.clusterDir, spec.name),
    logFile: join(config.clusterDir, `${spec.name}.log`),
  }
}

/** True when the node's URL points at a data directory of this local cluster (so replkit may restart it). */
export function isLocalClusterNode(config: Config, spec: NodeSpec): boolean {
  return isLoopback(spec.host) && existsSync(join(config.clusterDir, spec.name, 'replkit-node.conf'))
}

export type NodeState = 'running' | 'stopped' | 'absent'

export async function nodeState(config: Config, node: LocalNode): Promise<NodeState> {
  if (!existsSync(join(node.dataDir, 'PG_VERSION'))) return 'absent'
  const result = await asServerUser(bin(config, node, 'pg_ctl'), ['status', '-D', node.dataDir])
  return result.exitCode === 0 ? 'running' : 'stopped'
}

async function initNode(config: Config, node: LocalNode): Promise<void> {
  const pwfile = join(config.clusterDir, `.${node.spec.name}.pw`)
  await writeFile(pwfile, `${node.spec.password}\n`, { mode: 0o600 })
  await giveToServerUser(pwfile)
  try {
    const result = await asServerUser(bin(config, node, 'initdb'), [
      '-D',
      node.dataDir,
      '-U',
      node.spec.user,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      // C collation on every node, whatever build: byte order, so keys sort and compare alike
      // across Debian's ICU 72 and the npm builds' ICU 60.
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
      '--no-instructions',
    ])
    if (result.exitCode !== 0)
      throw new ReplkitError(`${node.spec.name}: initdb failed: ${result.stderr.trim().split('\n').pop()}`)
  } finally {
    await rm(pwfile, { force: true })
  }
  const conf = join(node.dataDir, 'postgresql.conf')
  const base = await readFile(conf, 'utf8')
  await writeFile(conf, `${base}\ninclude '${SHARED_CONF}'\ninclude 'replkit-node.conf'\n`)
  await writeSharedConf(node)
  await writeFile(join(node.dataDir, 'replkit-node.conf'), nodeConf(config, node))
  await writeFile(join(node.dataDir, 'pg_hba.conf'), await renderHba(node.clientCidr ?? '127.0.0.1/32'))
  await giveToServerUser(node.dataDir)
}

/** True when something already listens on the address (another server would make pg_ctl fail obscurely). */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = createConnection({ host, port })
    socket.setTimeout(500)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function startNode(config: Config, node: LocalNode): Promise<void> {
  await writeSharedConf(node)
  if (await portInUse(node.spec.host, node.spec.port)) {
    throw new ReplkitError(
      `${node.spec.name}: ${node.spec.host}:${node.spec.port} is already in use by another server; stop it, or give replkit other ports in .env (PRIMARY_URL, REPLICA_URLS)`,
    )
  }
  const result = await asServerUser(
    bin(config, node, 'pg_ctl'),
    ['start', '-D', node.dataDir, '-l', node.logFile, '-w', '-t', '60'],
    node.netns,
  )
  if (result.exitCode !== 0) {
    const fatal = await lastFatal(node.logFile)
    throw new ReplkitError(
      `${node.spec.name}: pg_ctl start failed: ${fatal ?? result.stderr.trim().split('\n').pop()} (${node.logFile})`,
    )
  }
}

/** The server's own reason for not starting: the last FATAL or PANIC line of its log, with its HINT. */
export async function lastFatal(logFile: string): Promise<string | null> {
  return fatalIn((await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-200))
}

/**
 * Why the server's last start failed: a FATAL or PANIC logged after its last "starting
 * PostgreSQL" with no "ready to accept connections" since. A server that started and later
 * stopped or crashed has none: its FATAL lines (clients refused while it shut down) are history.
 */
export async function lastStartFailure(logFile: string): Promise<string | null> {
  const lines = (await readFile(logFile, 'utf8').catch(() => '')).split('\n')
  const start = lines.map(l => /\bstarting PostgreSQL \d/.test(l)).lastIndexOf(true)
  if (start < 0) return null
  const since = lines.slice(start)
  return since.some(l => /database system is ready to accept/.test(l)) ? null : fatalIn(since)
}

function fatalIn(lines: string[]): string | null {
  const at = lines.map(l => /\b(FATAL|PANIC):\s/.test(l)).lastIndexOf(true)
  if (at < 0) return null
  const hint = lines.slice(at + 1, at + 3).find(l => /\bHINT:\s/.test(l))
  const strip = (l: string) => l.replace(/^.*?\b(FATAL|PANIC|HINT):\s+/, '$1: ')
  return [strip(lines[at]), hint && strip(hint)].filter(Boolean).join(' ')
}

export async function stopNode(config: Config, node: LocalNode, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  const result = await asServerUser(bin(config, node, 'pg_ctl'), [
    'stop',
    '-D',
    node.dataDir,
    '-m',
    mode,
    '-w',
    '-t',
    '60',
  ])
  if (result.exitCode !== 0) throw new ReplkitError(`${node.spec.name}: pg_ctl stop failed: ${result.stderr.trim()}`)
}

export async function restartNode(config: Config, node: LocalNode): Promise<void> {
  await writeSharedConf(node)
  const result = await asServerUser(
    bin(config, node, 'pg_ctl'),
    ['restart', '-D', node.dataDir, '-l', node.logFile, '-m', 'fast', '-w', '-t', '60'],
    node.netns,
  )
  if (result.exitCode !== 0) {
    throw new ReplkitError(
      `${node.spec.name}: pg_ctl restart failed: ${(await lastFatal(node.logFile)) ?? 'no FATAL line logged'} (${node.logFile})`,
    )
  }
}

export async function reloadNode(config: Config, node: LocalNode): Promise<void> {
  const result = await asServerUser(bin(config, node, 'pg_ctl'), ['reload', '-D', node.dataDir])
  if (result.exitCode !== 0) throw new ReplkitError(`${node.spec.name}: pg_ctl reload failed: ${result.stderr.trim()}`)
}

async function ensureDatabase(node: LocalNode): Promise<boolean> {
  return withNode(
    node.spec,
    async sql => {
      const [row] = await sql`select count(*)::int as n from pg_database where datname = ${node.spec.database}`
      if (row.n > 0) return false
      await sql.unsafe(`create database "${node.spec.database}"`)
      return true
    },
    { database: 'postgres' },
  )
}

export type UpOutcome = 'created' | 'started' | 'running'

/** initdb --auth=scram-sha-256 with an empty password makes a superuser no one can log in as: refused before anything is written. */
export function requirePasswords(nodes: LocalNode[]): void {
  const without = nodes.find(n => !n.spec.password)
  if (without)
    throw new ConfigError(
      `${without.spec.name}: no password for user "${without.spec.user}" — put one in its URL or in PGPASSWORD (.env); the local cluster logs in with SCRAM`,
    )
}

/** Brings one node to running with its database, from whatever state it is in. */
export async function upNode(config: Config, node: LocalNode): Promise<UpOutcome> {
  const state = await nodeState(config, node)
  if (state !== 'absent') await refuseOtherMajor(node)
  if (state === 'running') return 'running'
  if (state === 'absent') await initNode(config, node)
  await startNode(config, node)
  await ensureDatabase(node)
  return state === 'absent' ? 'created' : 'started'
}

/** The major of the node's data directory (its PG_VERSION file); null before initdb. */
export async function dataMajor(node: LocalNode): Promise<number | null> {
  const file = join(node.dataDir, 'PG_VERSION')
  return existsSync(file) ? Number((await readFile(file, 'utf8')).trim()) : null
}

/** A data directory of another major cannot be started by this one's binaries: said, not attempted. */
async function refuseOtherMajor(node: LocalNode): Promise<void> {
  const found = await dataMajor(node)
  if (found !== null && found !== node.major) {
    throw new ReplkitError(
      `${node.spec.name}: its data directory ${node.dataDir} is PostgreSQL ${found}, but PG_VERSIONS asks for ${node.major}; ` +
        `set PG_VERSIONS back, or make clean to start over (it deletes the data)`,
    )
  }
}

export async function prepareClusterDir(config: Config): Promise<void> {
  await ensureServerUser(config)
  if (isRoot) {
    // PostgreSQL runs as the postgres user: every directory on the way must let it in. Said
    // before anything is written, so a refused run leaves nothing behind.
    const blocked = await blockedFor(await serverUid(), config.clusterDir)
    if (blocked) {
      throw new ReplkitError(
        `CLUSTER_DIR ${config.clusterDir}: the ${SERVER_USER} user that runs PostgreSQL cannot enter ${blocked.path} (mode ${blocked.mode}); ` +
          `set CLUSTER_DIR in .env to a directory it can reach, e.g. CLUSTER_DIR=/var/lib/replkit/cluster`,
      )
    }
  }
  const majors = [...new Set(Object.values(config.localMajors))]
  for (const major of majors) {
    if (!existsSync(join(installedBinDir(config, major), 'initdb'))) {
      throw new ReplkitError(
        `PostgreSQL ${major} is not installed (no ${installedBinDir(config, major)}/initdb): run make setup`,
      )
    }
  }
  await mkdir(config.clusterDir, { recursive: true, mode: 0o755 })
  await giveToServerUser(config.clusterDir, false)
  await ensureTls(config)
  if (isRoot) for (const major of majors) await copyBuildIfUnreachable(config, major)
}
