-- make repair, on the replica: rows that differ, set to the PRIMARY's ({{rows}}: its rows as
-- jsonb; generated columns are left to the server, key columns are what matched them).
UPDATE {{table}} r
   SET ({{set_columns}}) = ROW({{s_set_columns}})
  FROM jsonb_populate_recordset(NULL::{{table}}, {{rows}}::jsonb) AS s
 WHERE ({{keycols_r}}) = ({{keycols_s}});
