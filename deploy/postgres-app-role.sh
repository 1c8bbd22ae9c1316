#!/bin/sh
# Run once by the postgres image when it creates the database (docker-entrypoint-initdb.d): the
# application role that web, events, the workers and beat log in as (docs/database-roles.md).
# It owns nothing; `migrate`, run as the database's owner, grants it what it may do, and no
# UPDATE, DELETE or TRUNCATE on the audit tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE anpr_app LOGIN PASSWORD :'password';
SQL
