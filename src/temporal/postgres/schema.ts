// Temporal's databases and registration on PostgreSQL: compose's `temporal-schema` step
// (deploy/temporal/setup-schema.sh with temporal-sql-tool) and its `temporal-init` step (deploy/temporal/init.sh
// with the Temporal CLI: the namespace and search attributes).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PROJECT_ROOT } from '../dev-server.js';
import type { PostgresCluster } from './cluster.js';
import { run, tail } from './run.js';

/** Create and migrate the `temporal` and `temporal_visibility` databases with deploy/temporal/setup-schema.sh. */
export async function setupTemporalSchema(
  pg: Pick<PostgresCluster, 'host' | 'port' | 'user' | 'password'>,
  sqlTool: string,
  schemaDir?: string,
): Promise<string> {
  const r = await run('sh', [join(PROJECT_ROOT, 'deploy/temporal/setup-schema.sh')], {
    env: {
      ...process.env,
      POSTGRES_HOST: pg.host,
      POSTGRES_PORT: String(pg.port),
      POSTGRES_USER: pg.user,
      POSTGRES_PASSWORD: pg.password ?? '',
      TEMPORAL_SQL_TOOL: sqlTool,
      ...(schemaDir ? { TEMPORAL_SCHEMA_DIR: schemaDir } : {}),
    },
  });
  if (r.code !== 0) throw new Error(`deploy/temporal/setup-schema.sh failed (exit ${r.code}):\n${tail(r.output)}`);
  return r.output;
}

/**
 * Register the namespace and search attributes with deploy/temporal/init.sh and the Temporal CLI. With `server`,
 * stop waiting as soon as that process exits (init.sh would otherwise wait four minutes for its health).
 */
export async function registerNamespace(
  address: string,
  namespace: string,
  cliPath: string,
  binDir: string,
  server?: ChildProcess,
): Promise<string> {
  // init.sh calls `temporal`: a folder holding just that name, first on PATH.
  mkdirSync(binDir, { recursive: true });
  if (!existsSync(join(binDir, 'temporal'))) symlinkSync(cliPath, join(binDir, 'temporal'));
  const ac = new AbortController();
  const onServerExit = () => ac.abort();
  server?.once('exit', onServerExit);
  if (server && (server.exitCode !== null || server.signalCode !== null)) ac.abort();
  const r = await run('sh', [join(PROJECT_ROOT, 'deploy/temporal/init.sh')], {
    env: {
      ...process.env,
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
    },
    signal: ac.signal,
  });
  server?.removeListener('exit', onServerExit);
  if (ac.signal.aborted)
    throw new Error(
      `temporal-server exited (code ${server?.exitCode}, signal ${server?.signalCode}) while ` +
        `deploy/temporal/init.sh waited for it:\n${tail(r.output)}`,
    );
  if (r.code !== 0) throw new Error(`deploy/temporal/init.sh failed (exit ${r.code}):\n${tail(r.output)}`);
  return r.output;
}
