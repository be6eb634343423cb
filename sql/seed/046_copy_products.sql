-- Products was empty when the seed began (021): every record of the batch is a new product, and
-- it is copied straight into products, as a bulk load is, with its id chosen by the seed and its
-- category as the category's id: no staging table, no match against the tables (023-045). A sku
-- the file repeats, or one another writer inserted meanwhile, stops it on the unique index; the
-- seed then rolls back and runs again by the upsert path, which names both places of a repeat.
COPY public.products (id, sku, title, description, price, stock, category_id, attributes) FROM STDIN
