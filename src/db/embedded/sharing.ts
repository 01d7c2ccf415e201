// One embedded server shared by every process on a DATA_DIR: the start/stop lock (DATA_DIR/postgres.lock), the
// running server as PostgreSQL's own postmaster.pid names it, and the watchdog that stops a server whose users were
// all killed outright.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An exclusive lock file holding the holder's pid; a holder that died leaves a lock the next one breaks. */
export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim() || 0);
      if (holder && !alive(holder)) {
        // Stale. Two processes may both break it; PostgreSQL's own postmaster.pid still keeps one server per cluster.
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${path} is held by process ${holder}`, { cause: err });
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** postmaster.pid: pid, data directory, start time, port, socket dir, listen address, shmem key, status. */
export function runningServer(pgdata: string): { pid: number; port: number } | null {
  let lines: string[];
  try {
    lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !alive(pid)) return null;
  return { pid, port };
}

/** With no live user for this long, the watchdog stops the server. */
export const WATCHDOG_GRACE_MS = 15_000;

// The watchdog, as plain JavaScript for `node -e` (no file to find from source or from dist/): once a second, are any
// of the registered users alive? When none has been for the grace period (each was killed outright: release() and
// exit handlers stop the server themselves), it takes the start/stop lock, checks again, and stops the server.
const WATCHDOG = `
const fs = require('node:fs'), path = require('node:path');
const [dataDir, pid, grace] = process.argv.slice(1);
const clients = path.join(dataDir, 'postgres.clients'), lock = path.join(dataDir, 'postgres.lock');
const alive = (p) => { try { process.kill(p, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const users = () => { try { return fs.readdirSync(clients).filter((f) => alive(Number(f))).length; } catch { return 0; } };
let lonely = null;
setInterval(() => {
  if (!alive(Number(pid))) process.exit(0);
  if (users() > 0) { lonely = null; return; }
  lonely = lonely ?? Date.now();
  if (Date.now() - lonely < Number(grace)) return;
  try { fs.writeFileSync(lock, String(process.pid), { flag: 'wx' }); } catch { return; }
  if (users() === 0) process.kill(Number(pid), 'SIGINT');
  const wait = setInterval(() => { if (!alive(Number(pid))) { fs.rmSync(lock, { force: true }); process.exit(0); } }, 100);
  setTimeout(() => { fs.rmSync(lock, { force: true }); process.exit(0); }, 30000).unref();
  void wait;
}, 1000);
`;

/** A detached watchdog that stops a server whose users were all killed (nothing else would). */
export function startWatchdog(dataDir: string, pid: number): void {
  const w = spawn(process.execPath, ['-e', WATCHDOG, dataDir, String(pid), String(WATCHDOG_GRACE_MS)], {
    detached: true,
    stdio: 'ignore',
  });
  w.unref();
}
