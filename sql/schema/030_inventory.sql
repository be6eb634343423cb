-- Stock per product and warehouse. Reserved units can never exceed what is on hand.
CREATE TABLE IF NOT EXISTS public.inventory (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id uuid        NOT NULL REFERENCES public.products (id) ON DELETE CASCADE,
    warehouse  varchar(32) NOT NULL DEFAULT 'main',
    quantity   integer     NOT NULL CHECK (quantity >= 0),
    reserved   integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0 AND reserved <= quantity),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, warehouse)
);

CREATE OR REPLACE TRIGGER inventory_touch_updated_at
    BEFORE UPDATE ON public.inventory
    FOR EACH ROW EXECUTE FUNCTION replkit.touch_updated_at();
