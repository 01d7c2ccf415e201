// Temporal on PostgreSQL as production runs it (docker-compose.yml), here without containers: a throwaway
// PostgreSQL cluster from the machine's own PostgreSQL binaries, Temporal's databases created and migrated by
// deploy/temporal/setup-schema.sh (compose's `temporal-schema` step) with temporal-sql-tool, a temporal-server
// v1.29.1 (compose's pinned image) on a postgres12 configuration, and the namespace and search attributes
// registered by deploy/temporal/init.sh (compose's `temporal-init` step) with the Temporal CLI.
//
// This file supervises the server process; its parts live in ./postgres/: binaries.ts (finding or building
// temporal-server and temporal-sql-tool), cluster.ts (the PostgreSQL cluster and its binaries), schema.ts (databases,
// namespace and search attributes), server-config.ts (ports and configuration), run.ts (running the tools).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT, waitForNamespace, waitForPort } from './dev-server.js';
import {
  ensureTemporalServerBinaries,
  TEMPORAL_SERVER_VERSION,
  type TemporalServerBinaries,
} from './postgres/binaries.js';
import { startPostgresCluster, type PostgresCluster } from './postgres/cluster.js';
import { registerNamespace, setupTemporalSchema } from './postgres/schema.js';
import { freeServerPorts, serverConfig, type ServerPorts } from './postgres/server-config.js';
import { defaultSay, tail, type Say } from './postgres/run.js';

export interface PostgresTemporalOptions {
  say?: Say;
  namespace?: string;
  /** Default: deploy/temporal/dynamicconfig.yaml, compose's. */
  dynamicConfigFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Reuse a running cluster (not stopped by stop()). */
  postgres?: PostgresCluster;
}

export interface PostgresTemporalTimings {
  /** Finding (or building) temporal-server, temporal-sql-tool and the CLI. */
  binariesMs: number;
  builtInMs?: number;
  postgresMs: number;
  schemaMs: number;
  /** From spawning temporal-server to its frontend answering the health check SERVING. */
  serverMs: number;
  /** init.sh, and until the namespace serves the search attributes. */
  registerMs: number;
}

export interface RunningPostgresTemporal {
  address: string;
  namespace: string;
  postgres: PostgresCluster;
  binaries: TemporalServerBinaries;
  /** Where the config and temporal.log are. */
  dir: string;
  logFile: string;
  process: ChildProcess;
  ports: ServerPorts;
  timings: PostgresTemporalTimings;
  /** Stop the server (SIGTERM, SIGKILL after 20 s), then PostgreSQL if this call started it, and remove the folders. */
  stop(): Promise<void>;
}

/**
 * Wait until the frontend answers the gRPC health check SERVING for the workflow service, as `temporal operator cluster
 * health` asks.
 */
async function waitForServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`temporal-server exited (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const r = await conn.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
        if (r.status === 1) return;
        last = `status ${r.status}`;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`temporal-server at ${address} not SERVING within ${timeoutMs} ms: ${last}`);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** PostgreSQL, Temporal's schemas, temporal-server on them, and the namespace with this project's search attributes. */
export async function startPostgresTemporal(opts: PostgresTemporalOptions = {}): Promise<RunningPostgresTemporal> {
  const say = opts.say ?? defaultSay;
  const namespace = opts.namespace ?? 'default';
  const host = '127.0.0.1';
  let t = Date.now();
  const binaries = await ensureTemporalServerBinaries(say);
  const cli = await ensureTemporalCli(say);
  const binariesMs = Date.now() - t;

  t = Date.now();
  const postgres = opts.postgres ?? (await startPostgresCluster({ say }));
  const postgresMs = Date.now() - t;
  const dir = mkdtempSync(join(tmpdir(), 'aura-temporal-postgres-'));
  const logFile = join(dir, 'temporal.log');
  let child: ChildProcess | null = null;
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  const cleanUp = async () => {
    process.removeListener('exit', onExit);
    if (child) await stopChild(child, 20_000);
    if (!opts.postgres) await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const logTail = () => (existsSync(logFile) ? tail(readFileSync(logFile, 'utf8')) : '');
  try {
    t = Date.now();
    say(
      `PostgreSQL on ${postgres.host}:${postgres.port}; creating and migrating the temporal and ` +
        `temporal_visibility databases...`,
    );
    await setupTemporalSchema(postgres, binaries.sqlTool);
    const schemaMs = Date.now() - t;

    const ports = await freeServerPorts(host);
    mkdirSync(join(dir, 'config'));
    const config = serverConfig({
      host,
      ports,
      pg: postgres,
      dynamicConfigFile: opts.dynamicConfigFile ?? join(PROJECT_ROOT, 'deploy/temporal/dynamicconfig.yaml'),
      logLevel: opts.logLevel ?? 'warn',
    });
    writeFileSync(
      join(dir, 'config', 'development.yaml'),
      `# temporal-server ${TEMPORAL_SERVER_VERSION} on PostgreSQL ` +
        `(src/temporal/postgres-server.ts)\n${JSON.stringify(config, null, 2)}\n`,
      { mode: 0o600 },
    );

    t = Date.now();
    const out = openSync(logFile, 'a');
    child = spawn(
      binaries.server,
      ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
      { cwd: dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const address = `${host}:${ports.frontend}`;
    await waitForPort(host, ports.frontend, child, 120_000);
    await waitForServing(address, child, 120_000);
    const serverMs = Date.now() - t;
    say(
      `temporal-server ${TEMPORAL_SERVER_VERSION} serving on ${address} after ${serverMs} ms; registering ` +
        `namespace ${namespace}...`,
    );

    t = Date.now();
    await registerNamespace(address, namespace, cli, join(dir, 'bin'), child);
    await waitForNamespace(address, namespace, child, 60_000);
    const registerMs = Date.now() - t;
    const running = child;
    return {
      address,
      namespace,
      postgres,
      binaries,
      dir,
      logFile,
      process: running,
      ports,
      timings: {
        binariesMs,
        ...(binaries.builtInMs !== undefined ? { builtInMs: binaries.builtInMs } : {}),
        postgresMs,
        schemaMs,
        serverMs,
        registerMs,
      },
      stop: cleanUp,
    };
  } catch (err) {
    const log = logTail();
    await cleanUp();
    throw new Error(`${(err as Error).message}${log ? `\ntemporal.log:\n${log}` : ''}`, { cause: err });
  }
}
