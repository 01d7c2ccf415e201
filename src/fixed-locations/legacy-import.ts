// The upgrade from the file store: a DATA_DIR that still holds its files is imported into the database once, at
// start, and the files are then renamed (`<name>.imported-<time>`), so an upgrade loses nothing and a second start
// does not import them again. What the file store kept:
//   platform-locations.ndjson        put/delete/meta records, replayed as the file store replayed them (a torn line
//                                    is skipped); the result is merged (a newer row of the database is kept)
//   fixed-location-index.json        the index, when the database has none yet
//   fixed-location-sync-latest.json  the latest report, when the database has none yet
//   sync/<run>/<name>.json           scratch of a reconciliation that was running, for its remaining activities
// One transaction under an advisory lock (API and worker start together); the files are renamed after it commits.
// A crash between the commit and the renames imports them again at the next start: the fingerprint recorded with
// the import makes that a no-op, and only the renames are done.
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, fsyncSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { transaction } from '../db/database.js';
import type { PlatformLocation, SyncReport } from '../domain/fixed-locations.js';
import { storeWritesIn, type StoredIndex } from './store-sql.js';
import type { FixedLocationStore } from './store.js';

const LOG = 'platform-locations.ndjson';
const INDEX = 'fixed-location-index.json';
const REPORT = 'fixed-location-sync-latest.json';
const SCRATCH = 'sync';
const IMPORT_LOCK = '7021760431158412610';

type LogRecord =
  { op: 'put'; loc: PlatformLocation } | { op: 'del'; id: string } | { op: 'meta'; sourceSha256: string };

/** The file store's log, replayed as it replayed it. */
export function replayLog(text: string): {
  locations: PlatformLocation[];
  sourceSha256: string | null;
  skipped: number;
} {
  const map = new Map<string, PlatformLocation>();
  let sourceSha256: string | null = null;
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let rec: LogRecord;
    try {
      rec = JSON.parse(line) as LogRecord;
    } catch {
      skipped++;
      continue;
    }
    if (rec.op === 'put') map.set(rec.loc.platformLocationId, rec.loc);
    else if (rec.op === 'del') map.delete(rec.id);
    else if (rec.op === 'meta') sourceSha256 = rec.sourceSha256;
  }
  return { locations: [...map.values()], sourceSha256, skipped };
}

export interface LegacyImport {
  imported: boolean;
  locations: number;
  index: boolean;
  report: boolean;
  scratch: number;
  skippedLines: number;
  renamed: string[];
}

const readJson = <T>(p: string): T | null => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return null;
  }
};

/** What the files hold (a SHA-256 of every name and content): the same files are imported once. */
function fingerprintOf(dataDir: string, names: string[]): string {
  const h = createHash('sha256');
  const add = (rel: string) => {
    const path = join(dataDir, rel);
    if (statSync(path).isDirectory()) {
      for (const child of readdirSync(path).sort()) add(join(rel, child));
    } else {
      h.update(`${rel}\0`).update(readFileSync(path)).update('\0');
    }
  };
  for (const n of [...names].sort()) add(n);
  return h.digest('hex');
}

/** Import DATA_DIR's file store into the database if it holds one; a no-op otherwise. */
export async function importFileStore(store: FixedLocationStore, dataDir: string): Promise<LegacyImport> {
  const result: LegacyImport = {
    imported: false,
    locations: 0,
    index: false,
    report: false,
    scratch: 0,
    skippedLines: 0,
    renamed: [],
  };
  const present = [LOG, INDEX, REPORT, SCRATCH].filter((n) => existsSync(join(dataDir, n)));
  if (present.length === 0) return result;
  const fingerprint = fingerprintOf(dataDir, present);

  await transaction(store.db, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [IMPORT_LOCK]);
    const done = await c.query(
      `SELECT 1 FROM adapter_state WHERE key = 'file_store_import' AND value->'fingerprint' = $1::jsonb`,
      [JSON.stringify(fingerprint)],
    );
    if (done.rowCount) return;
    if (present.includes(LOG)) {
      const log = replayLog(readFileSync(join(dataDir, LOG), 'utf8'));
      result.locations = await store.mergeLocations(log.locations, c);
      result.skippedLines = log.skipped;
      const source = await c.query(`SELECT 1 FROM adapter_state WHERE key = 'portfolio_source'`);
      if (log.sourceSha256 && !source.rowCount)
        await storeWritesIn.setStateIn(c, 'portfolio_source', { sha256: log.sourceSha256 });
    }
    const index = present.includes(INDEX) ? readJson<StoredIndex>(join(dataDir, INDEX)) : null;
    if (index && !(await c.query(`SELECT 1 FROM adapter_state WHERE key = 'fixed_location_index'`)).rowCount) {
      await storeWritesIn.replaceIndexIn(c, index);
      result.index = true;
    }
    const report = present.includes(REPORT) ? readJson<SyncReport>(join(dataDir, REPORT)) : null;
    if (report && !(await c.query('SELECT 1 FROM sync_reports LIMIT 1')).rowCount) {
      await storeWritesIn.insertReportIn(c, report);
      result.report = true;
    }
    if (present.includes(SCRATCH)) {
      for (const run of readdirSync(join(dataDir, SCRATCH), { withFileTypes: true })) {
        if (!run.isDirectory()) continue;
        for (const name of readdirSync(join(dataDir, SCRATCH, run.name))) {
          if (!name.endsWith('.json')) continue;
          const data = readJson<unknown>(join(dataDir, SCRATCH, run.name, name));
          if (data === null) continue;
          await c.query(
            `INSERT INTO sync_scratch (run_key, name, data) VALUES ($1, $2, $3::json) ON CONFLICT (run_key, ` +
              `name) DO NOTHING`,
            [run.name, name, JSON.stringify(data)],
          );
          result.scratch++;
        }
      }
    }
    await storeWritesIn.setStateIn(c, 'file_store_import', {
      fingerprint,
      dataDir,
      at: new Date().toISOString(),
      ...result,
    });
    result.imported = true;
  });

  // Committed: the files are renamed, and the directory synced so that the renames survive a crash.
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  for (const n of present) {
    try {
      renameSync(join(dataDir, n), join(dataDir, `${n}.imported-${stamp}`));
      result.renamed.push(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // renamed meanwhile by another process
    }
  }
  const fd = openSync(dataDir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return result;
}
