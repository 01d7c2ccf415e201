// Finding (or building) Prometheus's promtool, to check deploy/prometheus/alerts.yml (`check rules`, `test rules`)
// and the service's own /metrics (`check metrics`). Used by test/integration/go-live-deploy.test.ts.
//
// Where it comes from, in order: PROMTOOL_PATH; the per-user cache (~/.cache/aura-callouts/promtool-v0.316.0/, so a
// fresh clone reuses an earlier build); `go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0` from the
// Go module proxy into that cache (GOBIN), a few minutes the first time. v0.316.0 is the Go module version of
// Prometheus 3.x; the older v0.307.3 does not build with `go install`. `promtool` on PATH is not used: another
// version's lints could differ.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const PROMTOOL_VERSION = 'v0.316.0';
const BIN = process.platform === 'win32' ? 'promtool.exe' : 'promtool';

export function promtoolCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aura-callouts', `promtool-${PROMTOOL_VERSION}`);
}

function works(p: string): boolean {
  return existsSync(p) && spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
}

/** The promtool binary, built once with `go install` when it is nowhere. Throws saying why when it cannot be had. */
export function ensurePromtool(say: (m: string) => void = (m) => console.error(`[promtool] ${m}`)): string {
  const fromEnv = process.env.PROMTOOL_PATH;
  if (fromEnv && works(fromEnv)) return fromEnv;
  const cached = join(promtoolCacheDir(), BIN);
  if (works(cached)) return cached;
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0)
    throw new Error('No promtool: set PROMTOOL_PATH or install Go to build it from the module proxy');
  mkdirSync(promtoolCacheDir(), { recursive: true });
  say(`building promtool ${PROMTOOL_VERSION} with go install (first time only; a few minutes)...`);
  const started = Date.now();
  const r = spawnSync('go', ['install', `github.com/prometheus/prometheus/cmd/promtool@${PROMTOOL_VERSION}`], {
    env: { ...process.env, GOBIN: promtoolCacheDir(), GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0 || !works(cached))
    throw new Error(`go install of promtool ${PROMTOOL_VERSION} failed (exit ${r.status})`);
  say(`built promtool in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
  return cached;
}
