-- make repair, on the replica: the PRIMARY's rows it lacks ({{rows}}: the rows as jsonb).
INSERT INTO public.{{table}} ({{columns}})
SELECT {{columns}}
  FROM jsonb_populate_recordset(NULL::public.{{table}}, {{rows}}::jsonb);
