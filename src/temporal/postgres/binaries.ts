// temporal-server and temporal-sql-tool: from TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, the per-user cache
// (~/.cache/aura-callouts/temporal-server-v1.29.1/), or `go install` from the Go module proxy into that cache (first
// time only: about 3 minutes on 2 quiet cores, 9-10 minutes on 2 cores shared with other builds).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultSay, run, tail, type Say } from './run.js';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** How long `go install` took, when this call built them. */
  builtInMs?: number;
}

export function serverCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aura-callouts', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function works(p: string): boolean {
  if (!existsSync(p)) return false;
  return spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
}

async function goInstallServer(say: Say): Promise<TemporalServerBinaries | null> {
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) {
    say('Go is not installed: cannot build temporal-server from the Go module proxy.');
    return null;
  }
  const cache = serverCacheDir();
  mkdirSync(dirname(cache), { recursive: true });
  // Built into a fresh folder beside the cache, then renamed into it: a concurrent run never sees half a binary.
  const gobin = mkdtempSync(join(dirname(cache), `.build-temporal-server-${TEMPORAL_SERVER_VERSION}-`));
  say(
    `Building temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} with go install (first time ` +
      `only; about 3 minutes on 2 quiet cores, much longer on a busy machine)...`,
  );
  const started = Date.now();
  const r = await run(
    'go',
    [
      'install',
      `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ],
    {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      tick: (s) => say(`still building (${s} s)...`),
    },
  );
  try {
    if (r.code !== 0 || !existsSync(join(gobin, 'server')) || !existsSync(join(gobin, 'sql'))) {
      say(`go install failed (exit ${r.code}):\n${tail(r.output)}`);
      return null;
    }
    mkdirSync(cache, { recursive: true });
    renameSync(join(gobin, 'sql'), join(cache, 'temporal-sql-tool'));
    renameSync(join(gobin, 'server'), join(cache, 'temporal-server'));
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  const builtInMs = Date.now() - started;
  say(`Built temporal-server and temporal-sql-tool in ${Math.round(builtInMs / 1000)} s: ${cache}`);
  return { server: join(cache, 'temporal-server'), sqlTool: join(cache, 'temporal-sql-tool'), builtInMs };
}

/** Find temporal-server and temporal-sql-tool, building them with `go install` when they are nowhere. */
export async function ensureTemporalServerBinaries(say: Say = defaultSay): Promise<TemporalServerBinaries> {
  const cache = serverCacheDir();
  const pick = (envName: 'TEMPORAL_SERVER_PATH' | 'TEMPORAL_SQL_TOOL_PATH', cached: string): string | null => {
    const fromEnv = process.env[envName];
    if (fromEnv) {
      if (works(fromEnv)) return fromEnv;
      say(`${envName}=${fromEnv} is not a working binary; looking elsewhere.`);
    }
    return works(cached) ? cached : null;
  };
  const server = pick('TEMPORAL_SERVER_PATH', join(cache, 'temporal-server'));
  const sqlTool = pick('TEMPORAL_SQL_TOOL_PATH', join(cache, 'temporal-sql-tool'));
  if (server && sqlTool) return { server, sqlTool };
  const built = await goInstallServer(say);
  if (built && works(built.server) && works(built.sqlTool))
    return { ...built, server: server ?? built.server, sqlTool: sqlTool ?? built.sqlTool };
  throw new Error(
    'No temporal-server/temporal-sql-tool: set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, or install ' +
      'Go to build them from the module proxy.',
  );
}
