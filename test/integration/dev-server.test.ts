// The dev server that `npm run dev`, the chaos run and the benchmarks start: SQLite on a file in WAL mode with
// synchronous=NORMAL (durable across a crash of the server process), and the state survives a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Connection, Client } from '@temporalio/client';
import { ensureTemporalCli, startDevServer } from '../../src/temporal/dev-server.js';

/** SQLite's file header: bytes 18 and 19 are the read and write format versions, 2 in WAL mode (1 in rollback). */
function sqliteFormat(path: string): [number, number] {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(20);
  readSync(fd, b, 0, 20, 0);
  closeSync(fd);
  return [b[18]!, b[19]!];
}

test(
  'the dev server keeps its SQLite file in WAL mode, and its state across a restart',
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aura-devserver-'));
    const dbFilename = join(dir, 'temporal.db');
    const cliPath = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
    let server = await startDevServer({ cliPath, dbFilename, uiPort: null, logLevel: 'error' });
    try {
      const client = new Client({ connection: await Connection.connect({ address: server.address }) });
      await client.workflow.start('nobodyRunsThis', { workflowId: 'wal-probe', taskQueue: 'nobody', args: [] });
      await client.connection.close();
      assert.deepEqual(sqliteFormat(dbFilename), [2, 2], 'WAL mode');
      await server.stop();
      server = await startDevServer({ cliPath, dbFilename, uiPort: null, logLevel: 'error' });
      const again = new Client({ connection: await Connection.connect({ address: server.address }) });
      const d = await again.workflow.getHandle('wal-probe').describe();
      assert.equal(d.status.name, 'RUNNING');
      await again.connection.close();
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
