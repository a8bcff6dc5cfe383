-- strata migration: add_orders
-- Review this file before committing it. Generated from the entities by `strata generate`.
--
-- Changes:
--   1. add column customers.phone (character varying(32))
--      lock: ACCESS EXCLUSIVE
--      hazard access_exclusive_lock: reads and writes of the table wait for it, and it waits for every open transaction on the table
--   2. create table orders

-- 1. [access_exclusive_lock]
ALTER TABLE customers ADD COLUMN phone character varying(32);

-- 2.
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY,
    customer_id uuid NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    placed_at timestamp with time zone DEFAULT now() NOT NULL,
    shipped_at timestamp with time zone,
    CONSTRAINT orders_pkey PRIMARY KEY (id)
);
