-- make repair, on the replica: rows the PRIMARY does not have, by key ({{rows}}: a jsonb array
-- of key objects).
DELETE FROM {{table}} r
 USING jsonb_to_recordset({{rows}}::jsonb) AS k ({{keydefs}})
 WHERE ({{keycols_r}}) = ({{keycols_k}});
