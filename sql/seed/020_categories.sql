-- Categories from data/categories.json ($1, a JSON array). Rows change only when their content
-- does, so re-seeding writes nothing and gives the replicas nothing to apply.
INSERT INTO public.categories AS c (slug, name, description)
SELECT slug, name, description
FROM jsonb_to_recordset($1::text::jsonb) AS j (slug text, name text, description text)
ON CONFLICT (slug) DO UPDATE
    SET name = EXCLUDED.name, description = EXCLUDED.description
    WHERE (c.name, c.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)
