// Platform locations as they arrive: the API's id and body (PUT /v1/platform-locations/:platformLocationId) and the
// records of a portfolio file, validated by the same rules, before the store (./store.ts) writes them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { PlatformLocation } from '../domain/fixed-locations.js';

export const PlatformLocationIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

// PostgreSQL text holds no NUL character: one is refused as invalid input (400), not left to fail the INSERT (500).
// The patterns are the whole rule (one per field, as the OpenAPI document carries one): at most `max` characters as
// sent, no NUL, and for required text at least one character that is not whitespace (the value is then trimmed).
// eslint-disable-next-line no-control-regex -- NUL is exactly what these refuse
const NO_NUL = /^[^\u0000]*$/;
// eslint-disable-next-line no-control-regex -- as above
const NON_BLANK_NO_NUL = /^[^\u0000]*[^\s\u0000][^\u0000]*$/;

const requiredText = (max: number) =>
  z.string().max(max).regex(NON_BLANK_NO_NUL, 'must not be blank nor hold a NUL character').trim();

const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(NO_NUL, 'must not hold a NUL character')
    .nullish()
    .transform((v) => (v == null || v.trim() === '' ? null : v.trim()));

/** The body of `PUT /v1/platform-locations/:platformLocationId`. */
export const PlatformLocationBody = z
  .object({
    name: requiredText(200),
    address: requiredText(500),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    contactNotes: optionalText(2000),
    gateInstructions: optionalText(2000),
  })
  .strict();

/** One record of a portfolio file (CSV cells are strings: coordinates are coerced). */
const FileRecord = z.object({
  platformLocationId: PlatformLocationIdSchema,
  name: requiredText(200),
  address: requiredText(500),
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
      throw new Error(
        `${path}: record ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`,
      );
    }
    if (seen.has(r.data.platformLocationId))
      throw new Error(`${path}: record ${i + 1}: platformLocationId ${r.data.platformLocationId} appears twice`);
    seen.add(r.data.platformLocationId);
    locations.push(r.data);
  });
  return { locations, sha256 };
}
