// A child process of the store tests, standing for an API or a worker process: it opens the adapter's database
// its own way and writes through the repository, while another one does the same.
//   store-client.ts writer <url> <name> <n>    n upserts of its own locations, each followed by a reconciliation's
//                                              end (index, report, scratch) in one transaction; prints counts
//   store-client.ts open <dataDir> <holdMs>    openDatabase() without DATABASE_URL (the embedded default): prints
//                                              the server's pid and whether it started it, writes, holds, exits
import { openDatabase } from '../../src/db/database.js';
import { FixedLocationStore } from '../../src/fixed-locations/store.js';

const [mode, a, b, c] = process.argv.slice(2);

async function writeMany(
  store: FixedLocationStore,
  name: string,
  n: number,
): Promise<{ puts: number; runs: number; errors: string[] }> {
  const errors: string[] = [];
  let puts = 0;
  let runs = 0;
  await Promise.all(
    Array.from({ length: 4 }, async (_, lane) => {
      for (let i = lane; i < n; i += 4) {
        try {
          const id = `${name}-${i}`;
          const r = await store.put({
            platformLocationId: id,
            name: `Site ${id}`,
            address: `${i} Main Road`,
            latitude: -26.1,
            longitude: 28.05,
          });
          if (!r.created || r.location.platformLocationId !== id) errors.push(`put ${id}: ${JSON.stringify(r)}`);
          puts++;
          if (i % 10 === 0) {
            const runId = `${name}-run-${i}`;
            await store.writeScratch(runId, 'plan.json', { i });
            const now = new Date().toISOString();
            await store.finishRun(
              runId,
              {
                runId,
                startedAt: now,
                finishedAt: now,
                mode: 'api',
                counts: {
                  platform: i,
                  aura: 0,
                  matched: 0,
                  created: 0,
                  updated: 0,
                  deleted: 0,
                  missing: 0,
                  duplicates: 0,
                },
                issues: [],
              },
              { runId, updatedAt: now, refs: { [id]: [i + 1] } },
            );
            runs++;
          }
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    }),
  );
  return { puts, runs, errors };
}

if (mode === 'writer') {
  const db = await openDatabase({ databaseUrl: a!, dataDir: '/nonexistent', max: 4 });
  const r = await writeMany(new FixedLocationStore(db.pool), b!, Number(c));
  await db.close();
  process.stdout.write(JSON.stringify(r) + '\n');
} else if (mode === 'open') {
  const db = await openDatabase({ dataDir: a!, max: 4 });
  process.stdout.write(JSON.stringify({ pid: db.embedded!.pid, started: db.embedded!.started, url: db.url }) + '\n');
  const r = await writeMany(new FixedLocationStore(db.pool), `P${process.pid}`, 40);
  await new Promise((r) => setTimeout(r, Number(b ?? 0)));
  await db.close();
  process.stdout.write(JSON.stringify(r) + '\n');
}
