// A replica's columns against the PRIMARY's: what stops apply, with the DDL that aligns it; a
// column a publication's column list does not send is the replica's own business, unless it is
// NOT NULL without a default there (every replicated INSERT would fail).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Column, describeDrift, schemaDrift } from '../../scripts/lib/replication/schema-drift.js'

const col = (table: string, column: string, type = 'text', notNull = false, dflt: string | null = null): Column => ({
  table,
  column,
  type,
  notNull,
  default: dflt,
})

test('a column on the PRIMARY only stops apply: the DDL adds it, schema-qualified', () => {
  const [d] = schemaDrift(
    [col('sales."Order Lines"', 'id', 'integer'), col('sales."Order Lines"', 'Gift')],
    [col('sales."Order Lines"', 'id', 'integer')],
  )
  assert.is(d.kind, 'missing')
  assert.ok(d.breaksApply)
  assert.is(d.ddl, 'ALTER TABLE sales."Order Lines" ADD COLUMN "Gift" text;')
})

test('outside the column list: missing or of another type is no drift; NOT NULL without a default breaks INSERTs', () => {
  const primary = [col('customers', 'id', 'integer'), col('customers', 'email'), col('customers', 'token', 'bytea')]
  const sent = { customers: { columns: ['id', 'email'] } }
  assert.equal(schemaDrift(primary, [col('customers', 'id', 'integer'), col('customers', 'email')], sent), [])
  assert.equal(
    schemaDrift(
      primary,
      [col('customers', 'id', 'integer'), col('customers', 'email'), col('customers', 'token')],
      sent,
    ),
    [],
  )
  const [d] = schemaDrift(
    primary,
    [col('customers', 'id', 'integer'), col('customers', 'email'), col('customers', 'token', 'text', true)],
    sent,
  )
  assert.is(d.kind, 'unsent')
  assert.ok(d.breaksApply)
  assert.is(
    describeDrift(d, 'replica1'),
    "customers.token is not in the publication's column list, and on replica1 it is NOT NULL without a default",
  )
  assert.match(d.note, /ALTER TABLE public\.customers ALTER COLUMN token SET DEFAULT/)
})

test.run()
