#!/bin/sh
# One-shot job (temporalio/admin-tools): create Temporal's two PostgreSQL databases if missing and bring their
# schemas to the versions this admin-tools image ships. Idempotent: update-schema applies only what is missing.
set -eu
SQL="temporal-sql-tool --plugin postgres12 --endpoint ${POSTGRES_HOST:-postgresql} --port 5432 --user ${POSTGRES_USER} --password ${POSTGRES_PASSWORD}"
SCHEMA=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  $SQL --database "$db" create-database 2>/dev/null || echo "database $db exists"
done
$SQL --database temporal setup-schema -v 0.0 2>/dev/null || true
$SQL --database temporal update-schema -d "$SCHEMA/temporal/versioned"
$SQL --database temporal_visibility setup-schema -v 0.0 2>/dev/null || true
$SQL --database temporal_visibility update-schema -d "$SCHEMA/visibility/versioned"
echo "Temporal schemas ready"
