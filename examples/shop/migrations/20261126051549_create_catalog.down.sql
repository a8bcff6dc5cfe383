-- strata migration: create_catalog (down)
-- Undoes the up file of create_catalog: run after it, it restores the schema as it was before.
--
-- Reverts, in this order:
--   2. create table products
--   1. create table customers

-- 2.
DROP TABLE products;

-- 1.
DROP TABLE customers;
