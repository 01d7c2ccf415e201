#!/usr/bin/env node
// Installs the project's npm dependencies when they are missing or older than package-lock.json, so that
// `npm run dev` and `npm test` work on a fresh clone. Plain Node: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`aura-callouts needs Node >= 20.19 (this is ${process.versions.node}).`);
  process.exit(1);
}

// A node_modules that is a link (a worktree sharing another checkout's install) is never reinstalled from here:
// `npm ci` would replace the install that the other checkout uses.
const modules = join(root, 'node_modules');
let linked = false;
try {
  linked = lstatSync(modules).isSymbolicLink();
} catch {
  // no node_modules yet
}
if (linked) {
  console.error(
    `[setup] node_modules is a link to ${readlinkSync(modules)}: not installing through it (run npm ci where it lives).`,
  );
  process.exit(0);
}

const missing = !existsSync(marker);
const stale = !missing && existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
if (missing || stale) {
  // `npm ci`: exactly the lock (it holds every platform's optional packages), never a rewrite of it.
  const args = ['ci'];
  console.error(`[setup] ${missing ? 'Installing' : 'Updating'} npm dependencies (npm ${args.join(' ')})...`);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', [...args, '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
