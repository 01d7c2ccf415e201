#!/usr/bin/env node
// Installs the project's npm dependencies when they are missing or older than package-lock.json, so that
// `npm run dev` and `npm test` work on a fresh clone. Plain Node: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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

const missing = !existsSync(marker);
const stale = !missing && existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
if (missing || stale) {
  // `npm install` rather than `npm ci`: npm 11 refuses `ci` over optional platform packages missing from a lock
  // written on another platform, while `install` honours the lock and leaves it unchanged.
  const args = ['install'];
  console.error(`[setup] ${missing ? 'Installing' : 'Updating'} npm dependencies (npm ${args.join(' ')})...`);
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', [...args, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
