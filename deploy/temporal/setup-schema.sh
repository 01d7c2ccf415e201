#!/bin/sh
# One-shot job: create Temporal's two PostgreSQL databases if missing and bring their schemas up to date.
# Idempotent: update-schema applies only what is missing.
#
# In compose it runs in temporalio/admin-tools (the defaults below). Outside compose,
# src/temporal/postgres-server.ts runs it with a temporal-sql-tool built by `go install` and these variables:
#   POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PASSWORD   where PostgreSQL is (password may be empty)
#   TEMPORAL_SQL_TOOL    the tool (default: temporal-sql-tool on PATH)
#   TEMPORAL_SCHEMA_DIR  the schema files (default /etc/temporal/schema); where it has no postgresql/v12, the
#                        schemas embedded in the tool are used (--schema-name postgresql/v12/...)
set -eu
TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
# The password goes through the environment (the tool reads SQL_PASSWORD), not the command line.
export SQL_PASSWORD="${POSTGRES_PASSWORD:-}"
SQL="$TOOL --plugin postgres12 --endpoint ${POSTGRES_HOST:-postgresql} --port ${POSTGRES_PORT:-5432} --user ${POSTGRES_USER}"
DIR="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
# Both steps are idempotent in temporal-sql-tool 1.29 (an existing database or version table exits 0): a failure is
# a real one (PostgreSQL unreachable, wrong password) and stops the script.
for db in temporal temporal_visibility; do
  $SQL --database "$db" create-database
done
# The schema files: the image's versioned directory where it has one, else the tool's embedded copy.
migrate() {
  if [ -d "$DIR/$2/versioned" ]; then from="--schema-dir $DIR/$2/versioned"; else from="--schema-name postgresql/v12/$2"; fi
  $SQL --database "$1" setup-schema -v 0.0
  # shellcheck disable=SC2086
  $SQL --database "$1" update-schema $from
}
migrate temporal temporal
migrate temporal_visibility visibility
echo "Temporal schemas ready"
