-- make repair, on the replica, first in each batch's transaction: the batch's rows ({{rows}}: a
-- jsonb array of key objects) as they are now (hash; whole row, saved before it is overwritten),
-- locked: the apply worker waits for this transaction before it changes one of them.
SELECT {{keyjson}}::text AS key, hashtextextended({{row}}, 0)::text AS hash, to_jsonb(r)::text AS row
  FROM jsonb_to_recordset({{rows}}::jsonb) AS k ({{keydefs}})
  JOIN {{table}} r ON ({{keycols_r}}) = ({{keycols_k}})
   FOR UPDATE OF r;
