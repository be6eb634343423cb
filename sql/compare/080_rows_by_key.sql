-- compare and repair, every node: the rows with the keys in $1 (a jsonb array of key objects, as
-- 070 returns them), each with its hash, the whole row as jsonb (what a repair writes) and each
-- column's value as text (what tells which columns differ: 9.50 and 9.5 are one jsonb number but
-- two texts, and the hash is over the text). A key with no row here is absent. By primary key.
SELECT {{keyjson}}::text AS key, hashtextextended({{row}}, 0)::text AS hash, to_jsonb(r)::text AS row,
       (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each_text(to_jsonb(r)) AS e)::text AS texts
  FROM jsonb_to_recordset($1::text::jsonb) AS k ({{keydefs}})
  JOIN {{table}} r ON ({{keycols_r}}) = ({{keycols_k}});
