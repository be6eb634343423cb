// What make check says it could not see as a role without superuser: the guarded views on the
// nodes where they matter, and sequences it may not read, each with the GRANT that shows it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { unreadableNotes } from '../../scripts/lib/checks/privileges.js'
import { healthy } from './facts-fixture.js'

test('a superuser sees everything: no note', () => {
  assert.equal(unreadableNotes(healthy()), [])
})

test('each unread view is said only where it matters (hba on the PRIMARY, the applied position on replicas), with its two GRANTs', () => {
  const facts = healthy()
  for (const node of [facts.primary, ...facts.replicas]) {
    node.server!.role = 'watcher'
    node.server!.unreadable = ['pg_replication_origin_status', 'pg_hba_file_rules', 'pg_file_settings']
  }
  const said = unreadableNotes(facts).map(n => n.replace(/, so .*/, ''))
  assert.equal(said, [
    'primary: role watcher may not read pg_hba_file_rules',
    'primary: role watcher may not read pg_file_settings',
    'replica1: role watcher may not read pg_replication_origin_status',
    'replica1: role watcher may not read pg_file_settings',
    'replica2: role watcher may not read pg_replication_origin_status',
    'replica2: role watcher may not read pg_file_settings',
  ])
  assert.ok(
    unreadableNotes(facts)[0].endsWith(
      'as a superuser: GRANT SELECT ON pg_hba_file_rules TO watcher; GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO watcher;',
    ),
  )
})

test('a sequence the role may not read is said (its value reads as never used, which would hide how far behind it is)', () => {
  const facts = healthy()
  facts.replicas[0].server!.role = 'watcher'
  facts.replicas[0].sequences = [
    { sequence: 'public.orders_order_number_seq', column: 'orders.order_number', lastValue: null, readable: false },
  ]
  assert.equal(unreadableNotes(facts), [
    "replica1: role watcher may not read sequence public.orders_order_number_seq, so make check does not see how far the replicas' sequences are behind; as a superuser: GRANT SELECT ON SEQUENCE public.orders_order_number_seq TO watcher;",
  ])
})

test.run()
