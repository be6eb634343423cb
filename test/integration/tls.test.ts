// libpq's TLS rules for every connection replkit makes: verify-full against the local cluster's
// CA works (and the report shows the session encrypted), a wrong root certificate is refused
// with the reason, and subscriptions can verify the PRIMARY's name too (verify-full).
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { tlsDir } from '../../scripts/lib/cluster/node-files.js'
import { config, query, runScript } from './helpers.js'
import { ensureReplication } from './replication-fixture.js'

const tls = suite('TLS')
const ca = join(tlsDir(config), 'ca.crt')

interface Report {
  exitCode: number
  facts: { primary: { server: { tls: string | null } | null }; replicas: { server: { tls: string | null } | null }[] }
  verdicts: { node: string; problem: string; fix: string }[]
}
const check = async (env: Record<string, string>) => {
  const run = await runScript('check-replication', ['--json'], env)
  return { code: run.code, report: JSON.parse(run.stdout) as Report }
}

tls.before(async () => {
  await ensureReplication()
})

tls("PGSSLMODE=verify-full with the cluster's CA: every node verified, every session encrypted", async () => {
  const { code, report } = await check({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: ca })
  assert.is(code, 0, JSON.stringify(report.verdicts))
  for (const node of [report.facts.primary, ...report.facts.replicas])
    assert.match(node.server!.tls ?? '', /^TLSv1\.[23]$/)
  const plain = await check({ PGSSLMODE: 'disable' })
  assert.is(plain.report.facts.primary.server!.tls, null)
})

tls("a root certificate that did not sign the server's: refused, named, exit 2", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replkit-wrong-ca-'))
  await $({
    quiet: true,
    cwd: dir,
  })`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=not-replkit`
  const { user, password, host, port, database } = config.primary
  const url = `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}?sslmode=verify-full&sslrootcert=${join(dir, 'ca.crt')}`
  const { code, report } = await check({ PRIMARY_URL: url })
  assert.is(code, 2)
  const v = report.verdicts.find(x => x.node === 'primary')!
  assert.match(v.problem, /^cannot connect to primary over TLS: .*certificate was refused under sslmode=verify-full/)
  assert.match(v.fix, /check sslmode and sslrootcert/)
})

tls('subscriptions with SUBSCRIPTION_SSLMODE=verify-full stream over TLS, and back', async () => {
  const env = { SUBSCRIPTION_SSLMODE: 'verify-full', SSL_ROOT_CERT: ca }
  const run = await runScript('replicate', [], env)
  assert.is(run.code, 0, run.stdout + run.stderr)
  assert.match(run.stdout, /pointed at the new connection/)
  assert.match(run.stdout, /TLS: sub_replica1 streams over TLSv1\.3/)
  const [{ conninfo }] = await query<{ conninfo: string }>(
    config.replicas[0],
    `select subconninfo as conninfo from pg_subscription where subname = 'sub_${config.replicas[0].name}'`,
  )
  assert.match(conninfo, new RegExp(`sslmode=verify-full sslrootcert=${ca.replaceAll('.', '\\.')}`))
  const back = await runScript('replicate')
  assert.is(back.code, 0, back.stdout + back.stderr)
})

tls.run()
