// Writes data/platform-locations.sample.csv (the portfolio `npm run dev` loads): 300 premises, deterministic.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField } from '../src/domain/fixed-location-csv.js';
import { samplePortfolio } from '../src/fixed-locations/sample.js';
import { PROJECT_ROOT } from '../src/temporal/dev-server.js';

const cols = [
  'platformLocationId',
  'name',
  'address',
  'latitude',
  'longitude',
  'contactNotes',
  'gateInstructions',
] as const;
const rows = samplePortfolio(Number(process.argv[2] ?? 300));
const text =
  [cols.join(','), ...rows.map((r) => cols.map((c) => csvField(String(r[c] ?? ''))).join(','))].join('\n') + '\n';
const out = join(PROJECT_ROOT, 'data', 'platform-locations.sample.csv');
writeFileSync(out, text);
console.log(`${out}: ${rows.length} premises`);
