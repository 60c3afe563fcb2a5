#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster and creates the test role and database (idempotent).
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q online; then
  pg_lsclusters -h | grep -q . || pg_createcluster "$version" main
  pg_ctlcluster "$version" main start
fi
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tunelab') THEN
    CREATE ROLE tunelab LOGIN PASSWORD 'tunelab' CREATEDB;
  END IF;
END $$;
SQL
runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'tunelab_test'" | grep -q 1 \
  || runuser -u postgres -- createdb -O tunelab tunelab_test
echo "postgres ready: postgres://tunelab:tunelab@127.0.0.1:5432/tunelab_test"
