// A real Prometheus (Debian's) scraping `make metrics` every second and evaluating the shipped
// alert rules, their `for` shortened to 1 s and range windows to 5 s so a test need not wait
// minutes; and the one judgement every fault of metrics.test.ts is held to: make check reports
// the fault on that node alone, and exactly its alerts fire, read back through the HTTP API.
import { type ChildProcess, spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { parse, stringify } from 'yaml'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { repoRoot } from '../../scripts/lib/config.js'
import { runScript, until } from './helpers.js'

export const EXPORTER_PORT = 55461
const PROMETHEUS_PORT = 55462
export const PROMETHEUS_URL = `http://127.0.0.1:${PROMETHEUS_PORT}`
const children: ChildProcess[] = []
let dir = ''

function start(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', chunk => {
    stderr = (stderr + chunk).slice(-4000)
  })
  child.on('exit', code => {
    if (code) console.error(`${command} exited ${code}: ${stderr}`)
  })
  children.push(child)
  return child
}

export async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${PROMETHEUS_URL}${path}`)
  return ((await res.json()) as { data: T }).data
}

export interface Alert {
  labels: Record<string, string>
  state: string
  annotations: Record<string, string>
}
export const firing = async (name: string, labels: Record<string, string>) =>
  (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(
    a =>
      a.state === 'firing' &&
      a.labels.alertname === name &&
      Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  )

/** check --json as docs/schema/check.schema.json describes it. */
const validateCheck = new Ajv2020().compile(
  JSON.parse(await readFile(join(repoRoot, 'docs/schema/check.schema.json'), 'utf8')),
)

interface CheckJson {
  status: string
  verdicts: { code: string; level: string; node: string }[]
}

async function checkJson(): Promise<CheckJson> {
  const run = await runScript('check-replication', ['--json'])
  const report = JSON.parse(run.stdout) as CheckJson
  assert.ok(validateCheck(report), JSON.stringify(validateCheck.errors))
  return report
}

const ALERT_OF_LEVEL: Record<string, string> = {
  critical: 'ReplkitCheckCritical',
  warning: 'ReplkitCheckWarning',
  unknown: 'ReplkitCheckUnknown',
}

/**
 * One judgement: make check reports `code` on `node` at WARNING or above (its --json matching the
 * schema), and exactly the alerts for it fire, for that node alone: the fault's own alerts and
 * ReplkitCheck* for each level check reports there.
 */
export async function oneJudgement(node: string, code: string, alerts: string[]): Promise<void> {
  let report: CheckJson | undefined
  await until(`make check to report ${code} on ${node}`, 30_000, async () => {
    report = await checkJson()
    return report.verdicts.some(v => v.code === code && v.node === node && v.level in ALERT_OF_LEVEL)
  })
  const problems = report!.verdicts.filter(v => v.level in ALERT_OF_LEVEL)
  assert.equal([...new Set(problems.map(v => v.node))], [node], JSON.stringify(report!.verdicts))
  const expected = [...new Set([...alerts, ...problems.map(v => ALERT_OF_LEVEL[v.level])])].sort()
  const onNode = (a: Alert) => (a.labels.node ?? a.labels.replica) === node
  const firingNow = async () =>
    (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(a => a.state === 'firing')
  // Exactly these, once settled: an alert of a moment ago (another replica still applying) resolves meanwhile.
  await until(`exactly ${expected.join(', ')} to fire, for ${node} alone`, 40_000, async () => {
    const all = await firingNow()
    const names = [...new Set(all.map(a => a.labels.alertname))].sort()
    return all.every(onNode) && names.join() === expected.join()
  }).catch(async error => {
    const now = (await firingNow()).map(a => a.labels)
    throw new Error(`${(error as Error).message}; firing: ${JSON.stringify(now)}; check: ${JSON.stringify(problems)}`)
  })
}

export const nothingFires = () =>
  until(
    'every alert to resolve',
    40_000,
    async () =>
      (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts.filter(a => a.state === 'firing').length === 0,
  )

/** Prometheus and the exporter started, once Prometheus scrapes it. */
export async function startPrometheus(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'replkit-prometheus-'))
  await chmod(dir, 0o755)
  // The shipped rules, with only their `for` and range windows shortened so a test need not wait minutes.
  const rules = parse(await readFile(join(repoRoot, 'config/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { for?: string; expr: string }[] }[]
  }
  for (const rule of rules.groups.flatMap(g => g.rules)) {
    if (rule.for) rule.for = '1s'
    rule.expr = rule.expr.replace(/\[\d+m\]/g, '[5s]')
  }
  await writeFile(join(dir, 'alerts.yml'), stringify(rules))
  await writeFile(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['alerts.yml'],
      scrape_configs: [
        { job_name: 'replkit', scrape_timeout: '1s', static_configs: [{ targets: [`127.0.0.1:${EXPORTER_PORT}`] }] },
      ],
    }),
  )
  start(join(repoRoot, 'node_modules/.bin/tsx'), [
    'scripts/metrics.ts',
    '--port',
    String(EXPORTER_PORT),
    '--scrape-deadline',
    '0.9',
    '--compare-interval',
    '2',
  ])
  start('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
    '--log.level=warn',
  ])
  await until('Prometheus to scrape the exporter', 30_000, async () => {
    const targets = await api<{ activeTargets: { health: string }[] }>('/api/v1/targets').catch(() => null)
    return targets?.activeTargets[0]?.health === 'up'
  })
}

export async function stopPrometheus(): Promise<void> {
  for (const child of children) child.kill('SIGTERM')
  await Promise.all(
    children.map(c => new Promise(resolve => (c.exitCode === null ? c.once('exit', resolve) : resolve(null)))),
  )
  await rm(dir, { recursive: true, force: true })
}
