-- make repair, on the replica: the PRIMARY's rows it lacks ({{rows}}: the rows as jsonb).
-- OVERRIDING SYSTEM VALUE: a GENERATED ALWAYS identity column takes the PRIMARY's value, as the
-- apply worker writes it (a no-op on tables without one).
INSERT INTO {{table}} ({{columns}}) OVERRIDING SYSTEM VALUE
SELECT {{columns}}
  FROM jsonb_populate_recordset(NULL::{{table}}, {{rows}}::jsonb);
