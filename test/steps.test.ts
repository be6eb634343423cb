// Every step command's --json (Steps.toJson) has the shape docs/schema/steps.schema.json says.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../scripts/lib/config.js'
import { commandSteps } from '../scripts/lib/steps.js'
import { dryRunSql } from '../scripts/lib/output.js'

const validate = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(join(repoRoot, 'docs/schema/steps.schema.json'), 'utf8')),
)
const problems = (report: unknown) =>
  validate(report) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`)

test('a run and a dry run, as --json prints them, match the schema; a wrong shape does not', () => {
  const run = commandSteps(true)
  run.ok('replica1: subscribed', true)
  run.ok('primary: publication', false)
  run.verify('caught up')
  run.warn('slow')
  run.fail('replica2: refused')
  const report = JSON.parse(run.toJson(false, { conflictsLeft: 0 }))
  assert.equal(problems(report), [])
  assert.is(report.exitCode, 2)
  const dry = commandSteps(true)
  dryRunSql.print('-- primary: sql/x.sql\nSELECT 1')
  dry.ok('would publish', true)
  const dryReport = JSON.parse(dry.toJson(true))
  assert.equal(problems(dryReport), [])
  assert.ok(dryReport.statements.length >= 1)
  assert.ok(problems({ ...report, version: 2 }).length > 0)
  assert.ok(problems({ ...report, steps: ['no mark'] }).length > 0)
  dryRunSql.keep = false
})

test.run()
