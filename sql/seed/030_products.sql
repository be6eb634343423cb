-- Upsert on the business key. The WHERE makes an unchanged product a no-op (no new row version,
-- no WAL, nothing replicated), which is what lets a re-seed report "Skipped" honestly.
-- xmax = 0 on a returned row means it was inserted, not updated.
WITH upserted AS (
    INSERT INTO public.products AS p (sku, title, description, price, stock, category_id, attributes)
    SELECT s.sku, s.title, s.description, s.price, s.stock, c.id, s.attributes
    FROM replkit_seed_staging s
    JOIN public.categories c ON c.slug = s.category
    ON CONFLICT (sku) DO UPDATE
        SET title = EXCLUDED.title, description = EXCLUDED.description, price = EXCLUDED.price,
            stock = EXCLUDED.stock, category_id = EXCLUDED.category_id, attributes = EXCLUDED.attributes
        WHERE (p.title, p.description, p.price, p.stock, p.category_id, p.attributes)
              IS DISTINCT FROM
              (EXCLUDED.title, EXCLUDED.description, EXCLUDED.price, EXCLUDED.stock, EXCLUDED.category_id, EXCLUDED.attributes)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::int     AS created,
       count(*) FILTER (WHERE NOT inserted)::int AS updated
FROM upserted
