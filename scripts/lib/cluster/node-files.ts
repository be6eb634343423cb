// The files the local cluster writes for its nodes: a CA and server certificate shared by them,
// each node's own settings (port, TLS), config/postgresql.conf copied into its data directory,
// and its pg_hba.conf from config/pg_hba.conf.
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Config, type NodeSpec, repoRoot } from '../config.js'
import { giveToServerUser, shell } from './binaries.js'

export function tlsDir(config: Config): string {
  return join(config.clusterDir, 'tls')
}

/** A self-signed CA and a server certificate for 127.0.0.1/localhost, shared by the nodes. */
export async function ensureTls(config: Config): Promise<void> {
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

export function nodeConf(config: Config, node: { spec: NodeSpec }): string {
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
export const SHARED_CONF = 'replkit-shared.conf'

export async function writeSharedConf(node: { dataDir: string }): Promise<void> {
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
