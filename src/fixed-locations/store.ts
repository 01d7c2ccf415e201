// The Fixed Location adapter's data, in PostgreSQL (DATABASE_URL, or the embedded server on DATA_DIR: see
// src/db/database.ts), shared by every API and worker process, on any host:
//   platform_locations    the platform's premises (PUT/DELETE /v1/platform-locations/:id, the portfolio file)
//   fixed_location_index  externalReferenceId → AURA Fixed Location ids, replaced by each reconciliation
//   sync_reports          reconciliation reports (contract §4); the latest is the one written last
//   sync_scratch          a run's intermediate state (AURA's list, portfolio, batches, results) between activities
//   adapter_state         the portfolio file last loaded, the index's run, imports of a file-store DATA_DIR
// Nothing is cached in a process: every read asks the database (the alarm path by primary key), so a write by
// any process is seen by all. An upsert is one statement; a portfolio load, and a run's index + report, one
// transaction each.
// Beside it: ./portfolio.ts (the location id, body and portfolio file schemas), ./store-sql.ts (rows and statements).
import type pg from 'pg';
import { transaction, type Database } from '../db/database.js';
import type { FixedLocationIndex, PlatformLocation, SyncReport } from '../domain/fixed-locations.js';
import { readPortfolioFile } from './portfolio.js';
import {
  COLUMNS,
  type LocationRow,
  fromRow,
  locationsJson,
  RECORDSET,
  PORTFOLIO_LOCK,
  type StoredIndex,
  type Queryable,
  replaceIndexIn,
  setStateIn,
  insertReportIn,
} from './store-sql.js';

/** A scratch value the run has not written (or has removed). */
export class ScratchMissing extends Error {
  constructor(runKey: string, name: string) {
    super(`no ${name} in the scratch of reconciliation ${runKey}`);
    this.name = 'ScratchMissing';
  }
}

/** How long an abandoned run's scratch (a run terminated before it finished) is kept. */
const SCRATCH_KEPT_DAYS = 7;

/** The repository of the adapter's data: one per process (it holds the pool, and nothing else). */
export class FixedLocationStore {
  constructor(readonly db: Database) {}

  // ---- platform locations ---------------------------------------------------------------------------------------

  async get(id: string): Promise<PlatformLocation | null> {
    const r = await this.db.query<LocationRow>(
      `SELECT ${COLUMNS} FROM platform_locations WHERE platform_location_id = $1`,
      [id],
    );
    return r.rows[0] ? fromRow(r.rows[0]) : null;
  }

  /** The alarm path: the location and its AURA Fixed Location ids, in one query by primary key. */
  async getWithAuraIds(id: string): Promise<{ location: PlatformLocation; auraFixedLocationIds: number[] } | null> {
    const r = await this.db.query<LocationRow & { aura_ids: string[] }>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `p.${c}`)
        .join(', ')},
         ARRAY(SELECT i.aura_fixed_location_id::text FROM fixed_location_index i
               WHERE i.external_reference_id = p.platform_location_id ORDER BY i.aura_fixed_location_id) AS aura_ids
       FROM platform_locations p WHERE p.platform_location_id = $1`,
      [id],
    );
    const row = r.rows[0];
    return row ? { location: fromRow(row), auraFixedLocationIds: row.aura_ids.map(Number) } : null;
  }

  /** Upsert (one statement); answers whether the location was new, and the location as stored. */
  async put(loc: PlatformLocation): Promise<{ created: boolean; location: PlatformLocation }> {
    const r = await this.db.query<LocationRow & { created: boolean }>(
      `INSERT INTO platform_locations (platform_location_id, name, address, latitude, longitude, contact_notes, gate_instructions, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (platform_location_id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
         latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, contact_notes = EXCLUDED.contact_notes,
         gate_instructions = EXCLUDED.gate_instructions, updated_at = EXCLUDED.updated_at
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      [
        loc.platformLocationId,
        loc.name,
        loc.address,
        loc.latitude,
        loc.longitude,
        loc.contactNotes ?? null,
        loc.gateInstructions ?? null,
      ],
    );
    const row = r.rows[0]!;
    return { created: row.created, location: fromRow(row) };
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.query('DELETE FROM platform_locations WHERE platform_location_id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async count(): Promise<number> {
    return Number((await this.db.query<{ n: string }>('SELECT count(*) AS n FROM platform_locations')).rows[0]!.n);
  }

  /** A page, in the order the locations were added. */
  async page(limit: number, offset: number): Promise<{ total: number; items: PlatformLocation[] }> {
    const [total, rows] = await Promise.all([
      this.count(),
      this.db.query<LocationRow>(`SELECT ${COLUMNS} FROM platform_locations ORDER BY seq LIMIT $1 OFFSET $2`, [
        limit,
        offset,
      ]),
    ]);
    return { total, items: rows.rows.map(fromRow) };
  }

  /** The whole portfolio (the reconciliation plans from it), in the order the locations were added. */
  async list(): Promise<PlatformLocation[]> {
    return (await this.db.query<LocationRow>(`SELECT ${COLUMNS} FROM platform_locations ORDER BY seq`)).rows.map(
      fromRow,
    );
  }

  /** Replace every location (one transaction: readers see the old portfolio or the new one, never a mix). */
  async replaceAll(locations: PlatformLocation[], sourceSha256?: string): Promise<void> {
    await transaction(this.db, async (c) => {
      await this.replaceAllIn(c, locations);
      if (sourceSha256) await setStateIn(c, 'portfolio_source', { sha256: sourceSha256 });
    });
  }

  private async replaceAllIn(c: pg.PoolClient, locations: PlatformLocation[]): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock($1)', [PORTFOLIO_LOCK]);
    // DELETE rather than TRUNCATE: alarms keep reading the previous portfolio until the load commits.
    await c.query('DELETE FROM platform_locations');
    await c.query(`INSERT INTO platform_locations (${COLUMNS}) SELECT ${COLUMNS} FROM ${RECORDSET}`, [
      locationsJson(locations),
    ]);
  }

  /**
   * Load the portfolio file when it is new or changed since the last load (by content hash), replacing the store's
   * content: the file is the platform's export. An unchanged file is not re-applied, so PUT/DELETE changes made
   * since the last load survive a restart. One transaction, under a lock: processes starting at once load it once.
   */
  async loadFileIfChanged(path: string): Promise<{ loaded: boolean; count: number }> {
    const { locations, sha256 } = readPortfolioFile(path);
    return transaction(this.db, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [PORTFOLIO_LOCK]);
      const last = await c.query<{ value: { sha256?: string } }>(
        `SELECT value FROM adapter_state WHERE key = 'portfolio_source'`,
      );
      if (last.rows[0]?.value.sha256 === sha256) {
        return {
          loaded: false,
          count: Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM platform_locations')).rows[0]!.n),
        };
      }
      await this.replaceAllIn(c, locations);
      await setStateIn(c, 'portfolio_source', { sha256, file: path });
      return { loaded: true, count: locations.length };
    });
  }

  /**
   * Upsert locations carried over from elsewhere (an imported file store), keeping a row of the database that is
   * newer than the incoming one. One statement.
   */
  async mergeLocations(locations: PlatformLocation[], c: Queryable = this.db): Promise<number> {
    const r = await c.query(
      `INSERT INTO platform_locations (${COLUMNS}) SELECT ${COLUMNS} FROM ${RECORDSET}
       ON CONFLICT (platform_location_id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
         latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude, contact_notes = EXCLUDED.contact_notes,
         gate_instructions = EXCLUDED.gate_instructions, updated_at = EXCLUDED.updated_at
       WHERE platform_locations.updated_at IS NULL OR platform_locations.updated_at < EXCLUDED.updated_at`,
      [locationsJson(locations)],
    );
    return r.rowCount ?? 0;
  }

  // ---- the index --------------------------------------------------------------------------------------------------

  async auraIdsFor(externalReferenceId: string): Promise<number[]> {
    const r = await this.db.query<{ id: string }>(
      'SELECT aura_fixed_location_id::text AS id FROM fixed_location_index WHERE external_reference_id = $1 ' +
        'ORDER BY aura_fixed_location_id',
      [externalReferenceId],
    );
    return r.rows.map((x) => Number(x.id));
  }

  /** The whole index as last written (null before the first reconciliation). */
  async readIndex(): Promise<StoredIndex | null> {
    const state = await this.state<{ runId: string; updatedAt: string }>('fixed_location_index');
    if (!state) return null;
    const r = await this.db.query<{ ref: string; id: string }>(
      'SELECT external_reference_id AS ref, aura_fixed_location_id::text AS id FROM fixed_location_index ORDER BY 1, 2',
    );
    const refs: FixedLocationIndex = {};
    for (const row of r.rows) (refs[row.ref] ??= []).push(Number(row.id));
    return { ...state, refs };
  }

  async writeIndex(index: StoredIndex): Promise<void> {
    await transaction(this.db, (c) => replaceIndexIn(c, index));
  }

  // ---- reports ----------------------------------------------------------------------------------------------------

  async writeReport(report: SyncReport): Promise<void> {
    await transaction(this.db, (c) => insertReportIn(c, report));
  }

  /** The report written last (null before the first). */
  async readReport(): Promise<SyncReport | null> {
    const r = await this.db.query<{ report: SyncReport }>('SELECT report FROM sync_reports ORDER BY seq DESC LIMIT 1');
    return r.rows[0]?.report ?? null;
  }

  async reportOf(runId: string): Promise<SyncReport | null> {
    const r = await this.db.query<{ report: SyncReport }>('SELECT report FROM sync_reports WHERE run_id = $1', [runId]);
    return r.rows[0]?.report ?? null;
  }

  /**
   * The end of a run, in one transaction: its report, the index when the run produced one, and its scratch removed
   * (with any scratch older than a week, left by runs that never finished).
   */
  async finishRun(runKey: string, report: SyncReport, index?: StoredIndex): Promise<void> {
    await transaction(this.db, async (c) => {
      if (index) await replaceIndexIn(c, index);
      await insertReportIn(c, report);
      await c.query(`DELETE FROM sync_scratch WHERE run_key = $1 OR written_at < now() - make_interval(days => $2)`, [
        runKey,
        SCRATCH_KEPT_DAYS,
      ]);
    });
  }

  // ---- a run's scratch ---------------------------------------------------------------------------------------------

  async writeScratch(runKey: string, name: string, data: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_scratch (run_key, name, data) VALUES ($1, $2, $3::json)
       ON CONFLICT (run_key, name) DO UPDATE SET data = EXCLUDED.data, written_at = now()`,
      [runKey, name, JSON.stringify(data)],
    );
  }

  /** A value the run wrote; ScratchMissing when it did not. */
  async readScratch<T>(runKey: string, name: string): Promise<T> {
    const r = await this.db.query<{ data: T }>('SELECT data FROM sync_scratch WHERE run_key = $1 AND name = $2', [
      runKey,
      name,
    ]);
    if (!r.rows[0]) throw new ScratchMissing(runKey, name);
    return r.rows[0].data;
  }

  async readScratchIfAny<T>(runKey: string, name: string): Promise<T | undefined> {
    const r = await this.db.query<{ data: T }>('SELECT data FROM sync_scratch WHERE run_key = $1 AND name = $2', [
      runKey,
      name,
    ]);
    return r.rows[0]?.data;
  }

  async removeScratch(runKey: string): Promise<void> {
    await this.db.query('DELETE FROM sync_scratch WHERE run_key = $1', [runKey]);
  }

  // ---- named state --------------------------------------------------------------------------------------------------

  async state<T>(key: string): Promise<T | null> {
    const r = await this.db.query<{ value: T }>('SELECT value FROM adapter_state WHERE key = $1', [key]);
    return r.rows[0]?.value ?? null;
  }
}
