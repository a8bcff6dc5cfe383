-- strata migration: add_orders (down)
-- Undoes the up file of add_orders: run after it, it restores the schema as it was before.
--
-- Reverts, in this order:
--   2. create table orders
--   1. add column customers.phone (character varying(32))

-- 2.
DROP TABLE orders;

-- 1.
ALTER TABLE customers DROP COLUMN phone;
