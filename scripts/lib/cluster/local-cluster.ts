// The local cluster: one data directory per node under CLUSTER_DIR, started from PostgreSQL's
// own binaries on loopback ports taken from the node URLs. As root, the servers run as the
// `postgres` system user (PostgreSQL refuses to run as root).
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { join, resolve, sep } from 'node:path'
import { type Config, type Major, type NodeSpec, allNodes, isLoopback, repoRoot } from '../config.js'
import { withNode } from '../db.js'
import { ConfigError, ReplkitError } from '../errors.js'

const SERVER_USER = 'postgres'
/** zx, loaded when a server is run: the read-only commands (make check) only ask where nodes live. */
const shell = async () => (await import('zx')).$
const isRoot = process.getuid?.() === 0

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

export function tlsDir(config: Config): string {
  return join(config.clusterDir, 'tls')
}

/** The npm package (a package.json alias) that brings the server build of a major above 15. */
export const buildPackage = (major: Major) => `pg${major}`

/** Where a major's initdb, pg_ctl and postgres live: Debian's 15 (or PG_BINDIR), the npm builds of 16–18. */
export function installedBinDir(config: Config, major: Major): string {
  return major === 15
    ? (config.pgBindir ?? '/usr/lib/postgresql/15/bin')
    : join(repoRoot, 'node_modules', buildPackage(major), 'native/bin')
}

/**
 * The binaries the server user runs: the installed ones, or a copy under CLUSTER_DIR when that
 * user cannot reach the checkout (a clone under /root). Made by prepareClusterDir.
 */
function serverBinDir(config: Config, major: Major): string {
  const copy = join(config.clusterDir, 'servers', String(major), 'bin')
  return existsSync(copy) ? copy : installedBinDir(config, major)
}

function bin(config: Config, node: LocalNode, name: string): string {
  if (config.pgVersionsProblem) throw new ConfigError(config.pgVersionsProblem)
  return join(serverBinDir(config, node.major), name)
}

/** Runs a server binary as the server user; inside netns when given (only root can enter one). */
export async function asServerUser(command: string, args: string[], netns?: string) {
  const $ = await shell()
  const enter = netns ? ['ip', 'netns', 'exec', netns] : []
  const result = isRoot
    ? await $({ quiet: true, nothrow: true })`${enter} runuser -u ${SERVER_USER} -- ${command} ${args}`
    : await $({ quiet: true, nothrow: true })`${enter} ${command} ${args}`
  return result
}

async function ensureServerUser(config: Config): Promise<void> {
  const $ = await shell()
  if (!isRoot) return
  const exists = await $({ quiet: true, nothrow: true })`id -u ${SERVER_USER}`
  if (exists.exitCode !== 0)
    await $({ quiet: true })`useradd --system --home-dir ${config.clusterDir} --shell /bin/sh ${SERVER_USER}`
}

export async function giveToServerUser(path: string, recursive = true): Promise<void> {
  const $ = await shell()
  if (isRoot) await $({ quiet: true })`chown ${recursive ? ['-R'] : []} ${SERVER_USER}: ${path}`
}

export type NodeState = 'running' | 'stopped' | 'absent'

export async function nodeState(config: Config, node: LocalNode): Promise<NodeState> {
  if (!existsSync(join(node.dataDir, 'PG_VERSION'))) return 'absent'
  const result = await asServerUser(bin(config, node, 'pg_ctl'), ['status', '-D', node.dataDir])
  return result.exitCode === 0 ? 'running' : 'stopped'
}

/** A self-signed CA and a server certificate for 127.0.0.1/localhost, shared by the nodes. */
async function ensureTls(config: Config): Promise<void> {
  const $ = await shell()
  const dir = tlsDir(config)
  if (existsSync(join(dir, 'server.crt'))) return
  await mkdir(dir, { recursive: true })
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await $({
    quiet: true,
    cwd: dir,
  })`openssl req -x509 ${ec} -keyout ca.key -out ca.crt -days 3650 -subj ${'/CN=replkit local CA'}`
  await $({ quiet: true, cwd: dir })`openssl req ${ec} -keyout server.key -out server.csr -subj /CN=localhost`
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  await $({
    quiet: true,
    cwd: dir,
  })`openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 3650 -extfile san.ext`
  await chmod(join(dir, 'server.key'), 0o600)
  await chmod(join(dir, 'ca.key'), 0o600)
  await giveToServerUser(dir)
}

function nodeConf(config: Config, node: LocalNode): string {
  const tls = tlsDir(config)
  return [
    `# Written by replkit's local cluster for node ${node.spec.name}.`,
    `port = ${node.spec.port}`,
    `listen_addresses = '${node.spec.host === 'localhost' ? 'localhost' : node.spec.host}'`,
    `unix_socket_directories = ''`,
    `cluster_name = '${node.spec.name}'`,
    `ssl = on`,
    `ssl_cert_file = '${join(tls, 'server.crt')}'`,
    `ssl_key_file = '${join(tls, 'server.key')}'`,
    `ssl_ca_file = '${join(tls, 'ca.crt')}'`,
    '',
  ].join('\n')
}

/** config/postgresql.conf copied into the data directory: the server never reads the checkout. */
const SHARED_CONF = 'replkit-shared.conf'

async function writeSharedConf(node: LocalNode): Promise<void> {
  if (!existsSync(join(node.dataDir, 'PG_VERSION'))) return
  const target = join(node.dataDir, SHARED_CONF)
  const text = await readFile(join(repoRoot, 'config/postgresql.conf'), 'utf8')
  if (existsSync(target) && (await readFile(target, 'utf8')) === text) return
  await writeFile(target, text)
  await giveToServerUser(target, false)
}

export async function renderHba(clientCidr: string): Promise<string> {
  const template = await readFile(join(repoRoot, 'config/pg_hba.conf'), 'utf8')
  return template.replaceAll('{{CLIENT_CIDR}}', clientCidr)
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
  const text = await readFile(logFile, 'utf8').catch(() => '')
  const lines = text.split('\n').slice(-200)
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

async function serverUid(): Promise<number> {
  const $ = await shell()
  return Number((await $({ quiet: true })`id -u ${SERVER_USER}`).stdout.trim())
}

/** The first directory on the way to dir that the server user may not enter, if any. */
async function blockedFor(uid: number, dir: string): Promise<{ path: string; mode: string } | null> {
  const parts = resolve(dir).split(sep).filter(Boolean)
  for (let i = 0; i <= parts.length; i++) {
    const path = sep + parts.slice(0, i).join(sep)
    if (!existsSync(path)) return null
    const s = await stat(path)
    const enter = s.uid === uid ? s.mode & 0o100 : s.mode & 0o001
    if (!enter) return { path, mode: (s.mode & 0o777).toString(8) }
  }
  return null
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

/** An npm build inside a checkout the server user cannot enter is copied under CLUSTER_DIR (its RUNPATH is relative). */
async function copyBuildIfUnreachable(config: Config, major: Major): Promise<void> {
  const $ = await shell()
  if (major === 15) return
  const installed = installedBinDir(config, major)
  const copy = join(config.clusterDir, 'servers', String(major))
  if (!(await blockedFor(await serverUid(), installed))) return rm(copy, { recursive: true, force: true })
  const same =
    existsSync(join(copy, 'bin/postgres')) &&
    (await stat(join(copy, 'bin/postgres'))).mtimeMs === (await stat(join(installed, 'postgres'))).mtimeMs
  if (same) return
  await rm(copy, { recursive: true, force: true })
  await mkdir(join(config.clusterDir, 'servers'), { recursive: true })
  await $({ quiet: true })`cp -a ${join(installed, '..')} ${copy}`
  await giveToServerUser(join(config.clusterDir, 'servers'))
}
