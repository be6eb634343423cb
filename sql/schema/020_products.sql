-- sku is the business key the seed upserts on; id is the replication identity (uuid, so the
-- PRIMARY and replicas never race on a sequence). The checks mirror products.json validation,
-- so a row that slips past the client still cannot be wrong in the database.
CREATE TABLE IF NOT EXISTS public.products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku         varchar(64)   NOT NULL UNIQUE CHECK (sku <> ''),
    title       varchar(200)  NOT NULL CHECK (title <> ''),
    description text,
    price       numeric(12,2) NOT NULL CHECK (price >= 0),
    stock       integer       NOT NULL DEFAULT 0 CHECK (stock >= 0),
    category_id uuid          NOT NULL REFERENCES public.categories (id),
    attributes  jsonb         NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    created_at  timestamptz   NOT NULL DEFAULT now(),
    updated_at  timestamptz   NOT NULL DEFAULT now()
);

-- FK lookups and "products in a category" both need it; PostgreSQL does not index FKs itself.
CREATE INDEX IF NOT EXISTS products_category_id_idx ON public.products (category_id);

CREATE OR REPLACE TRIGGER products_touch_updated_at
    BEFORE UPDATE ON public.products
    FOR EACH ROW EXECUTE FUNCTION replkit.touch_updated_at();
