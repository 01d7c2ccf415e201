// The store's rows and statements (./store.ts): row mapping, the portfolio as one json parameter, the advisory lock
// keys, and the writes that also run inside another transaction (the import of a file-store DATA_DIR).
import type { Database } from '../db/database.js';
import type { FixedLocationIndex, PlatformLocation, SyncReport } from '../domain/fixed-locations.js';

export const COLUMNS =
  'platform_location_id, name, address, latitude, longitude, contact_notes, gate_instructions, updated_at';

export interface LocationRow {
  platform_location_id: string;
  name: string;
  address: string;
  latitude: number;
  longitude: number;
  contact_notes: string | null;
  gate_instructions: string | null;
  updated_at: Date | null;
}

export function fromRow(r: LocationRow): PlatformLocation {
  return {
    platformLocationId: r.platform_location_id,
    name: r.name,
    address: r.address,
    latitude: r.latitude,
    longitude: r.longitude,
    contactNotes: r.contact_notes,
    gateInstructions: r.gate_instructions,
    ...(r.updated_at ? { updatedAt: r.updated_at.toISOString() } : {}),
  };
}

/** Locations as one json parameter: a whole portfolio goes in one statement (json_to_recordset), whatever its size. */
export function locationsJson(locations: PlatformLocation[]): string {
  return JSON.stringify(
    locations.map((l) => ({
      platform_location_id: l.platformLocationId,
      name: l.name,
      address: l.address,
      latitude: l.latitude,
      longitude: l.longitude,
      contact_notes: l.contactNotes ?? null,
      gate_instructions: l.gateInstructions ?? null,
      updated_at: l.updatedAt ?? null,
    })),
  );
}

export const RECORDSET = `json_to_recordset($1::json) AS r(platform_location_id text, name text, address text, latitude float8, longitude float8,
  contact_notes text, gate_instructions text, updated_at timestamptz)`;

// Keys of transaction advisory locks: two replacements of the whole portfolio (or of the whole index) at once would
// each delete what they see and insert theirs, leaving both; serialised, the second replaces the first. Readers
// (the alarm path) take no lock and see the old content or the new.
export const PORTFOLIO_LOCK = '7021760431158412609';
export const INDEX_LOCK = '7021760431158412611';

export interface StoredIndex {
  updatedAt: string;
  runId: string;
  refs: FixedLocationIndex;
}

/** Reports kept (the latest is the one that is read). */
export const REPORTS_KEPT = 100;

export type Queryable = Pick<Database, 'query'>;

export async function replaceIndexIn(c: Queryable, index: StoredIndex): Promise<void> {
  const refs: string[] = [];
  const ids: string[] = [];
  for (const [ref, list] of Object.entries(index.refs)) {
    for (const id of new Set(list)) {
      refs.push(ref);
      ids.push(String(id));
    }
  }
  await c.query('SELECT pg_advisory_xact_lock($1)', [INDEX_LOCK]);
  await c.query('DELETE FROM fixed_location_index');
  await c.query(
    'INSERT INTO fixed_location_index (external_reference_id, aura_fixed_location_id) SELECT * FROM ' +
      'unnest($1::text[], $2::bigint[])',
    [refs, ids],
  );
  await setStateIn(c, 'fixed_location_index', { runId: index.runId, updatedAt: index.updatedAt });
}

export async function setStateIn(c: Queryable, key: string, value: unknown): Promise<void> {
  await c.query(
    `INSERT INTO adapter_state (key, value, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}

export async function insertReportIn(c: Queryable, report: SyncReport): Promise<void> {
  await c.query(
    `INSERT INTO sync_reports (run_id, finished_at, report) VALUES ($1, $2, $3::json)
     ON CONFLICT (run_id) DO UPDATE SET finished_at = EXCLUDED.finished_at, report = EXCLUDED.report`,
    [report.runId, report.finishedAt, JSON.stringify(report)],
  );
  await c.query(
    `DELETE FROM sync_reports WHERE seq <= (SELECT seq FROM sync_reports ORDER BY seq DESC OFFSET $1 LIMIT 1)`,
    [REPORTS_KEPT],
  );
}

/**
 * For the import of a file-store DATA_DIR (src/fixed-locations/legacy-import.ts): the same writes, in its transaction.
 */
export const storeWritesIn = { replaceIndexIn, setStateIn, insertReportIn };
