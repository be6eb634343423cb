// Where the local cluster's PostgreSQL binaries live and who runs them: Debian's 15 or the npm
// builds of 16–18 (copied under CLUSTER_DIR when the server user cannot enter the checkout), run
// as the `postgres` system user when replkit runs as root (PostgreSQL refuses to run as root).
import { existsSync } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { type Config, type Major, repoRoot } from '../config.js'
import { ConfigError } from '../errors.js'

export const SERVER_USER = 'postgres'
/** zx, loaded when a server is run: the read-only commands (make check) only ask where nodes live. */
export const shell = async () => (await import('zx')).$
export const isRoot = process.getuid?.() === 0

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

export function bin(config: Config, node: { major: Major }, name: string): string {
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

export async function ensureServerUser(config: Config): Promise<void> {
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

export async function serverUid(): Promise<number> {
  const $ = await shell()
  return Number((await $({ quiet: true })`id -u ${SERVER_USER}`).stdout.trim())
}

/** The first directory on the way to dir that the server user may not enter, if any. */
export async function blockedFor(uid: number, dir: string): Promise<{ path: string; mode: string } | null> {
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

/** An npm build inside a checkout the server user cannot enter is copied under CLUSTER_DIR (its RUNPATH is relative). */
export async function copyBuildIfUnreachable(config: Config, major: Major): Promise<void> {
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
