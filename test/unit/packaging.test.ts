// What a production install needs from the repository itself: a lock file that `npm ci` accepts on every platform
// (npm refuses a lock that lacks an optional platform package another platform would install).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as Record<string, any>;
const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, any> };

/** Where node (and npm) finds `name` for the package installed at `from`: its own node_modules, then each parent's. */
function resolveInLock(from: string, name: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return null;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

describe('package-lock.json', () => {
  it('holds every optional dependency of every locked package, for every platform (npm ci refuses a lock without them)', () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!resolveInLock(path, name)) missing.push(`${name} (optional dependency of ${path || 'the root'})`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it("matches package.json's dependencies at its root", () => {
    const root = lock.packages[''];
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      assert.deepEqual(root[field] ?? {}, pkg[field] ?? {}, field);
    }
  });
});
