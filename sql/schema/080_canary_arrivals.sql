-- Canary rows (products whose sku starts REPLKIT-CANARY-) are stamped on arrival by each node
-- itself: on the PRIMARY when inserted, on a replica when its apply worker applies them. One
-- machine, one clock — no client polling in the measurement. The table is node-local (never
-- published). ENABLE ALWAYS makes the trigger fire in the apply worker too; search_path is
-- pinned because apply workers run with an empty one.
CREATE TABLE IF NOT EXISTS replkit.canary_arrivals (
    sku        text PRIMARY KEY,
    arrived_at timestamptz NOT NULL
);

CREATE OR REPLACE FUNCTION replkit.stamp_canary_arrival() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    INSERT INTO replkit.canary_arrivals (sku, arrived_at) VALUES (NEW.sku, clock_timestamp())
    ON CONFLICT (sku) DO UPDATE SET arrived_at = EXCLUDED.arrived_at;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER products_canary_arrival
    AFTER INSERT ON public.products
    FOR EACH ROW WHEN (NEW.sku LIKE 'REPLKIT-CANARY-%')
    EXECUTE FUNCTION replkit.stamp_canary_arrival();

ALTER TABLE public.products ENABLE ALWAYS TRIGGER products_canary_arrival;
