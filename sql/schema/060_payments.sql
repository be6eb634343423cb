-- A payment belongs to one order; an order's payments are kept if someone tries to delete the
-- order (RESTRICT): money records are never removed as a side effect.
CREATE TABLE IF NOT EXISTS public.payments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id     uuid          NOT NULL REFERENCES public.orders (id) ON DELETE RESTRICT,
    amount       numeric(12,2) NOT NULL CHECK (amount > 0),
    method       varchar(16)   NOT NULL CHECK (method IN ('card', 'paypal', 'bank_transfer', 'gift_card')),
    status       varchar(16)   NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'authorized', 'captured', 'failed', 'refunded')),
    provider_ref varchar(64)   UNIQUE,
    created_at   timestamptz   NOT NULL DEFAULT now(),
    updated_at   timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS payments_order_id_idx ON public.payments (order_id);

CREATE OR REPLACE TRIGGER payments_touch_updated_at
    BEFORE UPDATE ON public.payments
    FOR EACH ROW EXECUTE FUNCTION replkit.touch_updated_at();
