// make bench --quick inside make test: proves the harness runs end to end and produces every
// section and its plots. No threshold is asserted: --quick's small N says nothing about speed.
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from './suite.js'
import * as assert from 'uvu/assert'
import type { BenchReport } from '../../scripts/lib/bench/report.js'
import { config, runScript } from './helpers.js'

const bench = suite('make bench --quick')

bench('writes every section, a verdict per target, and three SVG plots; leaves the cluster healthy', async () => {
  const out = await mkdtemp(join(tmpdir(), 'replkit-bench-'))
  const run = await runScript('bench', ['--quick', '--json', '--out', out])
  // 0: every target met, 1: some missed (reported, not a failure here); 2 would be an error.
  assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}\n${run.stdout}\n${run.stderr}`)
  const report = JSON.parse(run.stdout) as BenchReport
  for (const section of [
    'machine',
    'seed',
    'smallSeed',
    'initialCopy',
    'canary',
    'consistency',
    'largeTransaction',
    'check',
    'metrics',
    'switchovers',
    'replicas',
    'targets',
    'plots',
  ] as const) {
    assert.ok(report[section], `latest.json has no ${section}`)
  }
  assert.equal(JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')), report)
  assert.ok(report.machine.cpus > 0 && report.machine.postgres.startsWith(String(config.localMajors.primary)))
  assert.equal(
    report.seed.settings.map(s => s.name),
    ['not replicated', 'replicating to 2 replicas'],
  )
  // The seed at two sizes, each with its own targets named by its size.
  assert.ok(report.smallSeed!.rows < report.seed.rows)
  for (const seed of [report.smallSeed!, report.seed])
    assert.ok(report.targets.some(t => t.target.startsWith(`${seed.rows.toLocaleString('en-US')} products, `)))
  for (const setting of [...report.smallSeed!.settings, ...report.seed.settings]) {
    assert.is(setting.phases.length, 5)
    assert.is(setting.phases[3].written, 0, `${setting.name}: the re-seed of the unchanged file wrote rows`)
    assert.ok(setting.seedPeakRssBytes > 10 * 1024 * 1024)
  }
  assert.ok(
    report.initialCopy.replicateSeconds > 0 &&
      (report.initialCopy.dumpRestoreSeconds ?? 1) > 0 &&
      (report.initialCopy.dumpRestoreSeconds === null) === (report.initialCopy.baselineSkipped !== null),
  )
  // The parallel copy killed half-way, and resumed: the kill landed between the first part and the last.
  const resume = report.initialCopy.resume!
  assert.ok(
    resume.fullSeconds > 0 &&
      resume.resumeSeconds > 0 &&
      resume.partsInAtKill >= resume.parts / 2 &&
      resume.partsInAtKill < resume.parts,
    JSON.stringify(resume),
  )
  // One table of 5× the products' rows: one COPY stream against the copy engine, both counted on arrival.
  const single = report.initialCopy.singleTable!
  assert.ok(
    single.rows === 5 * report.initialCopy.rows &&
      single.oneStreamSeconds > 0 &&
      single.onePipe.seconds > 0 &&
      single.engine.seconds > 0,
    JSON.stringify(single),
  )
  assert.ok(report.targets.some(t => t.target.includes('as fast as one COPY stream')))
  for (const run of [report.canary.idle, report.canary.load]) {
    assert.ok(Object.keys(run.summary).length > 0)
    for (const d of Object.values(run.summary)) assert.is(d.n, run.canaries)
  }
  assert.ok(
    report.consistency.hashScanMs > 0 &&
      report.consistency.compareMs > 0 &&
      report.consistency.repairMs > 0 &&
      report.consistency.checkDiffMs > 0 &&
      report.consistency.checkDiffPeakRssBytes > 10 * 1024 * 1024 &&
      report.consistency.underWritesStates.every(s => s.endsWith(' equal')),
  )
  assert.ok(
    report.metrics.scrapes === 5 && report.metrics.scrapeMedianMs > 0 && report.metrics.peakRssBytes > 10 * 1024 * 1024,
  )
  assert.ok(report.largeTransaction.appliedSeconds > 0 && report.largeTransaction.walBytes > 0)
  const products = report.largeTransaction.products!
  assert.ok(products.rows === 2 * report.largeTransaction.rows && products.appliedSeconds > 0, JSON.stringify(products))
  // The same transaction on a PostgreSQL 17 pair of its own, where replkit subscribes with streaming = parallel.
  const pair = report.largeTransaction.pair!
  assert.ok(pair.major === 17 && pair.streaming === 'parallel' && pair.appliedSeconds > 0, JSON.stringify(pair))
  assert.ok(report.check.medianWallMs > 0)
  // Two switchovers (there and back) under pgbench through PgBouncer: no client error, and the
  // bench itself proved every committed transaction on every node.
  const so = report.switchovers
  assert.is(so.writePauseMs.length, 2)
  assert.ok(so.writePauseMs.every(ms => ms > 0) && so.committed > 0, JSON.stringify(so))
  assert.is(so.failed, 0, JSON.stringify(so))
  // Clusters of their own with 1 and 2 replicas: every command ran, verify passed on each.
  assert.equal(
    report.replicas!.runs.map(r => r.replicas),
    [1, 2],
  )
  assert.ok(
    report.replicas!.runs.every(
      r => r.replicateS > 0 && r.checkMedianMs > 0 && r.scrapeMedianMs > 0 && r.verifyPassed > 0,
    ),
    JSON.stringify(report.replicas),
  )
  assert.ok(report.targets.length >= 10 && report.targets.every(t => typeof t.met === 'boolean'))
  for (const file of [report.plots.latencyCdf, report.plots.throughput, report.plots.replicas!]) {
    const svg = await readFile(join(out, file), 'utf8')
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    assert.match(svg, /<\/svg>\n$/)
    assert.is(
      (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length,
      (svg.match(/<\/[a-z]+>/g) ?? []).length,
      `${file}: unbalanced tags`,
    )
  }
  const check = await runScript('check-replication')
  assert.is(check.code, 0, check.stdout)
})

bench.run()
