// check --json's shape is what docs/schema/check.schema.json says (version 1), and its verdict
// codes are exactly the ones make check can give (verdict-codes.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { repoRoot } from '../../scripts/lib/config.js'
import { formatJson } from '../../scripts/lib/checks/format.js'
import { buildReport } from '../../scripts/lib/checks/report.js'
import { VERDICT_CODES } from '../../scripts/lib/checks/verdict-codes.js'
import { healthy, thresholds } from './facts-fixture.js'

const schema = JSON.parse(readFileSync(join(repoRoot, 'docs/schema/check.schema.json'), 'utf8'))
const validate = new Ajv2020({ allErrors: true }).compile(schema)
const valid = (report: unknown) =>
  validate(report) ? [] : (validate.errors ?? []).map(e => `${e.instancePath} ${e.message}`)

test('a healthy report and one with verdicts, as --json prints them, match the schema', () => {
  assert.equal(valid(JSON.parse(formatJson(buildReport(healthy(), thresholds, null, null, 12)))), [])
  const facts = healthy()
  Object.assign(facts.replicas[1], { up: false, server: null, error: 'connection refused', errorKind: 'unreachable' })
  facts.replicas[0].subscriptions[0].enabled = false
  const report = JSON.parse(formatJson(buildReport(facts, thresholds, null, null, 12)))
  assert.ok(report.verdicts.length >= 2)
  assert.equal(valid(report), [])
})

test("the schema's verdict codes are make check's, and a code outside them is refused", () => {
  assert.equal(schema.properties.verdicts.items.properties.code.enum, [...VERDICT_CODES])
  const report = JSON.parse(formatJson(buildReport(healthy(), thresholds, null, null, 12)))
  report.verdicts.push({ code: 'NO_SUCH_CODE', level: 'warning', node: 'primary', problem: 'p', fix: 'f' })
  assert.ok(valid(report).some(e => e.startsWith('/verdicts/0/code')))
})

test.run()
