// The Nagios plugin line from hand-made facts: check_postgres's shape — status, summary, then
// perfdata with warn;crit;min;max — and a replica that cannot be read keeps its tokens, as U.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { formatNagios } from '../../scripts/lib/checks/nagios.js'
import { buildReport } from '../../scripts/lib/checks/report.js'
import { healthy, stopped, thresholds } from './facts-fixture.js'

test('a healthy cluster: OK, every replica streaming, lag with its warning and critical thresholds', () => {
  const line = formatNagios(buildReport(healthy(), thresholds, null, null, 12))
  assert.match(line, /^REPLKIT OK - 2 of 2 replicas streaming, max lag 0 B \| /)
  assert.match(line, / 'lag_bytes_replica1'=0B;16777216;1073741824;0; /)
  assert.match(line, / 'apply_errors_replica2'=0c;;;0; /)
  assert.match(line, / 'nodes_up'=3;;;0;3 /)
})

test('a replica that cannot be read: CRITICAL, and its tokens stay, as U', () => {
  const facts = healthy()
  stopped(facts, 1)
  facts.primary.walSenders = facts.primary.walSenders.filter(w => w.applicationName !== 'sub_replica2')
  const line = formatNagios(buildReport(facts, thresholds, null, null, 12))
  assert.match(line, /^REPLKIT CRITICAL - replica2: replica2 is down/)
  assert.match(line, / 'apply_errors_replica2'=U;;;0; /)
  assert.match(line, / 'nodes_up'=2;;;0;3 /)
  assert.match(line, /'lag_bytes_replica2'=(U|\d+B);16777216;1073741824;0; /)
})

test.run()
