-- Into empty tables (021) the seed writes every product and its inventory row itself. Inventory's
-- foreign key to products is then checked row by row: an index probe and a lock on the product
-- for every inventory row (1M products: 22 s of COPY into inventory against 14 s without it).
-- pg_restore adds such a key after the data instead, checked by one anti-join; so does the seed
-- (047). Only for this transaction, and only when the seed's role owns both tables (ALTER TABLE
-- needs it; a least-privilege role keeps the per-row check). Dropping the key locks products and
-- inventory ACCESS EXCLUSIVE until commit: readers wait for the seeded tables instead of reading
-- them empty. Products' key to categories stays per row, so categories keeps its readers.
CREATE TEMPORARY TABLE replkit_seed_set_aside ON COMMIT DROP AS
SELECT con.conname AS name, pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
JOIN pg_class inventory ON inventory.oid = con.conrelid
JOIN pg_class products ON products.oid = con.confrelid
WHERE con.contype = 'f'
  AND con.conrelid = 'public.inventory'::regclass
  AND con.confrelid = 'public.products'::regclass
  AND pg_has_role(inventory.relowner, 'USAGE')
  AND pg_has_role(products.relowner, 'USAGE');

DO $$
DECLARE
    fk record;
BEGIN
    FOR fk IN SELECT name FROM replkit_seed_set_aside LOOP
        EXECUTE format('ALTER TABLE public.inventory DROP CONSTRAINT %I', fk.name);
    END LOOP;
END
$$;
