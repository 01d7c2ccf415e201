// Versioned SQL migrations of the adapter's database, applied in order at start (src/db/database.ts). A released
// migration is never edited: a change is a new version. The SQL is plain PostgreSQL (13 and later): the same on the
// embedded server and on a real one.
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'fixed-location adapter',
    sql: `
      -- The monitoring platform's premises. seq keeps the order they were added in (a portfolio file's order; an
      -- update keeps its place). updated_at is set by PUT, and null for a location loaded from the portfolio file.
      CREATE TABLE platform_locations (
        platform_location_id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        address text NOT NULL,
        latitude double precision NOT NULL,
        longitude double precision NOT NULL,
        contact_notes text,
        gate_instructions text,
        updated_at timestamptz
      );
      CREATE INDEX platform_locations_seq ON platform_locations (seq);

      -- externalReferenceId → AURA Fixed Location ids, replaced whole by each reconciliation. More than one id for
      -- a reference is a duplicate in AURA (an alarm on it is LOCATION_AMBIGUOUS).
      CREATE TABLE fixed_location_index (
        external_reference_id text NOT NULL,
        aura_fixed_location_id bigint NOT NULL,
        PRIMARY KEY (external_reference_id, aura_fixed_location_id)
      );

      -- Small named values: the portfolio file last loaded, the index's run, the import of a file-store DATA_DIR.
      CREATE TABLE adapter_state (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- Reconciliation reports (contract §4); the latest is the one written last. json, not jsonb: kept as written.
      CREATE TABLE sync_reports (
        run_id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        finished_at timestamptz,
        report json NOT NULL
      );
      CREATE INDEX sync_reports_seq ON sync_reports (seq);

      -- A reconciliation's intermediate state (AURA's list, the portfolio it planned from, batches, results), read by
      -- the later activities of the same run on whichever worker runs them; removed when the run finishes.
      CREATE TABLE sync_scratch (
        run_key text NOT NULL,
        name text NOT NULL,
        data json NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_key, name)
      );
    `,
  },
];
