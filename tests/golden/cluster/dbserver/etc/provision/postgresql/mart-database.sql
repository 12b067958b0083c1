-- Rendered by provision for cluster gmarket; edit the inventory, not this file.
-- Run by psql as the server's superuser: creates the mart's user and database; safe to run again.
SELECT format('CREATE ROLE %I LOGIN', 'dm_admin')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dm_admin')\gexec
ALTER ROLE "dm_admin" LOGIN PASSWORD 'golden-mart-pw';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', 'datamart', 'dm_admin', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'datamart')\gexec
