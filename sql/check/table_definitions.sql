-- The PRIMARY's own definitions of the tables in $1 (replkit's names: one part is a table in
-- public), as statements for a replica
-- that lacks them (DDL is not replicated, and sql/schema may be older than the PRIMARY). Read with
-- search_path = pg_catalog, so every name in the output is schema-qualified. Order: schemas, owned
-- sequences, tables, keys and checks, indexes, replica identity, foreign keys, sequence ownership.
-- Left out on purpose: triggers (the apply worker fires none but ENABLE ALWAYS ones, and those
-- are the replica's own business), grants, policies and comments.
WITH t AS (
    SELECT c.oid, o.name AS relname, c.relnamespace, c.relreplident, o.ord
      FROM unnest($1::text[]) WITH ORDINALITY AS o (name, ord)
      JOIN pg_class c ON c.relkind = 'r'
       AND c.oid = to_regclass(CASE WHEN cardinality(parse_ident(o.name)) = 1 THEN 'public.' || o.name ELSE o.name END)
), owned AS (
    -- serial columns: a sequence the table owns (identity sequences come with their column)
    SELECT t.ord, t.oid AS relid, t.relname, s.*, a.attname
      FROM t
      JOIN pg_depend d ON d.refobjid = t.oid AND d.refclassid = 'pg_class'::regclass
                      AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
      JOIN pg_sequence s ON s.seqrelid = d.objid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
)
SELECT step, t_name AS table, statement
  FROM (
    SELECT 0 AS step, min(t.ord) AS ord, 0 AS sub, min(t.relname) AS t_name,
           format('CREATE SCHEMA IF NOT EXISTS %s;', t.relnamespace::regnamespace) AS statement
      FROM t WHERE t.relnamespace <> 'public'::regnamespace
     GROUP BY t.relnamespace
    UNION ALL
    SELECT 1, o.ord, 0, o.relname,
           format('CREATE SEQUENCE IF NOT EXISTS %s AS %s INCREMENT %s MINVALUE %s MAXVALUE %s START %s CACHE %s%s;',
                  o.seqrelid::regclass, format_type(o.seqtypid, NULL), o.seqincrement, o.seqmin, o.seqmax,
                  o.seqstart, o.seqcache, CASE WHEN o.seqcycle THEN ' CYCLE' ELSE '' END)
      FROM owned o
    UNION ALL
    SELECT 2, t.ord, 0, t.relname,
           format('CREATE TABLE %s (%s);', t.oid::regclass,
                  string_agg(format('%I %s%s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                      CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                           THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END,
                      CASE WHEN a.attidentity <> '' THEN format(' GENERATED %s AS IDENTITY (%s)',
                                CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, idseq.options)
                           WHEN a.attgenerated = 's' THEN format(' GENERATED ALWAYS AS (%s) STORED', pg_get_expr(ad.adbin, ad.adrelid))
                           WHEN a.attgenerated = 'v' THEN format(' GENERATED ALWAYS AS (%s) VIRTUAL', pg_get_expr(ad.adbin, ad.adrelid))
                           WHEN ad.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid)
                           ELSE '' END,
                      CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY a.attnum))
      FROM t
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type ty ON ty.oid = a.atttypid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
      -- an identity column's own sequence: its start, step, bounds and cache go with the column
      LEFT JOIN LATERAL (
          SELECT format('START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s%s',
                        s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                        CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END) AS options
            FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid
           WHERE d.refobjid = t.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
             AND d.classid = 'pg_class'::regclass
      ) idseq ON a.attidentity <> ''
     GROUP BY t.oid, t.ord, t.relname
    UNION ALL
    -- the primary key first: a unique or exclusion constraint may name it
    SELECT 3, t.ord, CASE k.contype WHEN 'p' THEN 0 ELSE 1 END, t.relname,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s;', t.oid::regclass, k.conname, pg_get_constraintdef(k.oid))
      FROM t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x', 'c') AND k.conislocal
    UNION ALL
    SELECT 4, t.ord, 0, t.relname, pg_get_indexdef(i.indexrelid) || ';'
      FROM t JOIN pg_index i ON i.indrelid = t.oid
     WHERE NOT EXISTS (SELECT FROM pg_constraint k
                        WHERE k.conindid = i.indexrelid AND k.conrelid = t.oid AND k.contype IN ('p', 'u', 'x'))
    UNION ALL
    SELECT 5, t.ord, 0, t.relname,
           format('ALTER TABLE %s REPLICA IDENTITY %s;', t.oid::regclass,
                  CASE t.relreplident
                       WHEN 'f' THEN 'FULL'
                       WHEN 'n' THEN 'NOTHING'
                       ELSE 'USING INDEX ' || (SELECT quote_ident(ic.relname) FROM pg_index i
                                                 JOIN pg_class ic ON ic.oid = i.indexrelid
                                                WHERE i.indrelid = t.oid AND i.indisreplident)
                  END)
      FROM t WHERE t.relreplident <> 'd'
    UNION ALL
    SELECT 6, t.ord, 0, t.relname,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s;', t.oid::regclass, k.conname, pg_get_constraintdef(k.oid))
      FROM t JOIN pg_constraint k ON k.conrelid = t.oid AND k.contype = 'f' AND k.conislocal
    UNION ALL
    SELECT 7, o.ord, 0, o.relname,
           format('ALTER SEQUENCE %s OWNED BY %s.%I;', o.seqrelid::regclass, o.relid::regclass, o.attname)
      FROM owned o
  ) AS definitions
 ORDER BY step, ord, sub, statement;
