-- unit_price is copied from the product at order time: later price changes must not rewrite
-- what a customer paid. Deleting an order takes its items; deleting a sold product is refused.
CREATE TABLE IF NOT EXISTS public.order_items (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id   uuid          NOT NULL REFERENCES public.orders (id) ON DELETE CASCADE,
    product_id uuid          NOT NULL REFERENCES public.products (id) ON DELETE RESTRICT,
    quantity   integer       NOT NULL CHECK (quantity > 0),
    unit_price numeric(12,2) NOT NULL CHECK (unit_price >= 0),
    created_at timestamptz   NOT NULL DEFAULT now(),
    updated_at timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (order_id, product_id)
);

CREATE INDEX IF NOT EXISTS order_items_product_id_idx ON public.order_items (product_id);

CREATE OR REPLACE TRIGGER order_items_touch_updated_at
    BEFORE UPDATE ON public.order_items
    FOR EACH ROW EXECUTE FUNCTION replkit.touch_updated_at();
