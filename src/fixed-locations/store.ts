// Durable, file-backed state of the Fixed Location adapter under DATA_DIR (default `.data/`):
//   platform-locations.ndjson       the platform's premises: an append-only log of put/delete records, each appended
//                                   with fdatasync before the API answers, compacted (write temp file, fsync,
//                                   rename) when the log grows past twice the live records. Written by the API only.
//   fixed-location-index.json       externalReferenceId → AURA Fixed Location ids, written atomically by the
//                                   reconciliation; read by the API per alarm (re-read only when the file changes).
//   fixed-location-sync-latest.json the latest reconciliation report (contract §4), written atomically.
//   sync/<run>/                     scratch pages of one reconciliation run (AURA's list, batches, results), removed
//                                   when the run finishes: large lists never enter workflow history.
// The API and the worker must share DATA_DIR (same host, or a shared volume in docker-compose).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { FixedLocationIndex, PlatformLocation, SyncReport } from '../domain/fixed-locations.js';

export const PlatformLocationIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullish()
    .transform((v) => (v == null || v.trim() === '' ? null : v.trim()));

/** The body of `PUT /v1/platform-locations/:platformLocationId`. */
export const PlatformLocationBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    address: z.string().trim().min(1).max(500),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    contactNotes: optionalText(2000),
    gateInstructions: optionalText(2000),
  })
  .strict();

/** One record of a portfolio file (CSV cells are strings: coordinates are coerced). */
const FileRecord = z.object({
  platformLocationId: PlatformLocationIdSchema,
  name: z.string().trim().min(1).max(200),
  address: z.string().trim().min(1).max(500),
  latitude: z.coerce.number().min(-90).max(90),
  longitude: z.coerce.number().min(-180).max(180),
  contactNotes: optionalText(2000),
  gateInstructions: optionalText(2000),
});

/** Read a portfolio file: CSV with a header row (the fields above) or JSON (an array, or `{locations: [...]}`). */
export function readPortfolioFile(path: string): { locations: PlatformLocation[]; sha256: string } {
  const text = readFileSync(path, 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex');
  let rows: unknown[];
  if (extname(path).toLowerCase() === '.json' || /^\s*[[{]/.test(text)) {
    const j = JSON.parse(text) as unknown;
    rows = Array.isArray(j) ? j : ((j as { locations?: unknown[] }).locations ?? []);
  } else {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  }
  const locations: PlatformLocation[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    const r = FileRecord.safeParse(row);
    if (!r.success) {
      throw new Error(`${path}: record ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    }
    if (seen.has(r.data.platformLocationId)) throw new Error(`${path}: record ${i + 1}: platformLocationId ${r.data.platformLocationId} appears twice`);
    seen.add(r.data.platformLocationId);
    locations.push(r.data);
  });
  return { locations, sha256 };
}

type LogRecord = { op: 'put'; loc: PlatformLocation } | { op: 'del'; id: string } | { op: 'meta'; sourceSha256: string };

async function writeAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export class PlatformLocationStore {
  private readonly map = new Map<string, PlatformLocation>();
  private sourceSha256: string | null = null;
  private logRecords = 0;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly path: string) {}

  /** Open (or create) the store in `dataDir`, replaying its log. */
  static async open(dataDir: string): Promise<PlatformLocationStore> {
    const s = new PlatformLocationStore(join(dataDir, 'platform-locations.ndjson'));
    mkdirSync(dataDir, { recursive: true });
    if (existsSync(s.path)) {
      const text = await readFile(s.path, 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        let rec: LogRecord;
        try {
          rec = JSON.parse(line) as LogRecord;
        } catch {
          continue; // a torn final line from a crash mid-append: everything before it is intact
        }
        s.logRecords++;
        if (rec.op === 'put') s.map.set(rec.loc.platformLocationId, rec.loc);
        else if (rec.op === 'del') s.map.delete(rec.id);
        else if (rec.op === 'meta') s.sourceSha256 = rec.sourceSha256;
      }
    }
    return s;
  }

  get size(): number {
    return this.map.size;
  }

  get(id: string): PlatformLocation | undefined {
    return this.map.get(id);
  }

  values(): IterableIterator<PlatformLocation> {
    return this.map.values();
  }

  list(): PlatformLocation[] {
    return [...this.map.values()];
  }

  /**
   * Load the portfolio file when it is new or changed since the last load (by content hash), replacing the store's
   * content: the file is the platform's export. An unchanged file is not re-applied, so PUT/DELETE changes made
   * since the last load survive a restart.
   */
  async loadFileIfChanged(path: string): Promise<{ loaded: boolean; count: number }> {
    const { locations, sha256 } = readPortfolioFile(path);
    if (sha256 === this.sourceSha256) return { loaded: false, count: this.map.size };
    return this.serial(async () => {
      this.map.clear();
      for (const l of locations) this.map.set(l.platformLocationId, l);
      this.sourceSha256 = sha256;
      await this.compact();
      return { loaded: true, count: this.map.size };
    });
  }

  /** Upsert; answers whether the location was new. Durable (fdatasync) when the promise resolves. */
  async put(loc: PlatformLocation): Promise<{ created: boolean }> {
    return this.serial(async () => {
      const created = !this.map.has(loc.platformLocationId);
      const stored = { ...loc, updatedAt: new Date().toISOString() };
      await this.append({ op: 'put', loc: stored });
      this.map.set(loc.platformLocationId, stored);
      return { created };
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.serial(async () => {
      if (!this.map.has(id)) return false;
      await this.append({ op: 'del', id });
      this.map.delete(id);
      return true;
    });
  }

  /** Replace everything (tests and benchmarks). */
  async replaceAll(locations: PlatformLocation[]): Promise<void> {
    await this.serial(async () => {
      this.map.clear();
      for (const l of locations) this.map.set(l.platformLocationId, l);
      await this.compact();
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async append(rec: LogRecord): Promise<void> {
    const fh = await open(this.path, 'a');
    try {
      await fh.write(JSON.stringify(rec) + '\n');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.logRecords++;
    if (this.logRecords > 2 * this.map.size + 1000) await this.compact();
  }

  private async compact(): Promise<void> {
    const lines: string[] = [];
    if (this.sourceSha256) lines.push(JSON.stringify({ op: 'meta', sourceSha256: this.sourceSha256 }));
    for (const loc of this.map.values()) lines.push(JSON.stringify({ op: 'put', loc }));
    await writeAtomic(this.path, lines.join('\n') + (lines.length ? '\n' : ''));
    this.logRecords = lines.length;
  }
}

export interface StoredIndex {
  updatedAt: string;
  runId: string;
  refs: FixedLocationIndex;
}

/** The externalReferenceId → AURA id index, and the latest report: JSON files replaced atomically. */
export class FixedLocationFiles {
  private cache: { ino: number; mtimeMs: number; size: number; index: StoredIndex } | null = null;

  constructor(readonly dataDir: string) {}

  get indexPath(): string {
    return join(this.dataDir, 'fixed-location-index.json');
  }

  get reportPath(): string {
    return join(this.dataDir, 'fixed-location-sync-latest.json');
  }

  scratchDir(runKey: string): string {
    return join(this.dataDir, 'sync', runKey.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  async writeIndex(index: StoredIndex): Promise<void> {
    await writeAtomic(this.indexPath, JSON.stringify(index));
  }

  /** The index as last written; re-read only when the file changed (one stat per call; a rename gives a new inode). */
  readIndex(): StoredIndex | null {
    let st;
    try {
      st = statSync(this.indexPath);
    } catch {
      return null;
    }
    if (!this.cache || this.cache.ino !== st.ino || this.cache.mtimeMs !== st.mtimeMs || this.cache.size !== st.size) {
      this.cache = { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, index: JSON.parse(readFileSync(this.indexPath, 'utf8')) as StoredIndex };
    }
    return this.cache.index;
  }

  async writeReport(report: SyncReport): Promise<void> {
    await writeAtomic(this.reportPath, JSON.stringify(report));
  }

  async readReport(): Promise<SyncReport | null> {
    try {
      return JSON.parse(await readFile(this.reportPath, 'utf8')) as SyncReport;
    } catch {
      return null;
    }
  }

  async writeScratch(runKey: string, name: string, data: unknown): Promise<void> {
    await writeAtomic(join(this.scratchDir(runKey), name), JSON.stringify(data));
  }

  async readScratch<T>(runKey: string, name: string): Promise<T> {
    return JSON.parse(await readFile(join(this.scratchDir(runKey), name), 'utf8')) as T;
  }

  async writeScratchText(runKey: string, name: string, text: string): Promise<string> {
    const p = join(this.scratchDir(runKey), name);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, text);
    return p;
  }

  async removeScratch(runKey: string): Promise<void> {
    await rm(this.scratchDir(runKey), { recursive: true, force: true });
  }
}
