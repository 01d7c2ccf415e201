// What a production install needs from the repository itself: a lock file that `npm ci` accepts on every platform
// (npm refuses a lock that lacks an optional platform package another platform would install), and a compiled
// service (dist/, what `npm start` and the image run) that needs nothing from devDependencies, tsx least of all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as Record<string, any>;
const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, any>;
};

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

/** The modules a source file loads at run time: static imports and re-exports that are not type-only, and import(). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      out.push(node.moduleSpecifier.text);
    else if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      out.push(node.moduleSpecifier.text);
    else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      out.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every package reached from the entry points through the project's own modules, with the first file naming it. */
function packagesReachedFrom(entries: string[]): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = entries.map((e) => join(PROJECT_ROOT, e));
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        assert.ok(existsSync(target), `${relative(PROJECT_ROOT, file)} imports ${spec}, which has no source`);
        queue.push(target);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (spec.startsWith('node:') || builtinModules.includes(name)) continue;
      if (!packages.has(name)) packages.set(name, relative(PROJECT_ROOT, file));
    }
  }
  return packages;
}

describe('the production install (npm ci --omit=dev)', () => {
  // dist/main.js (npm start, the image's CMD), the simulator's and the CLI's entry points (the image and the bin), and
  // the workflows, which a worker without a prebuilt bundle bundles at start.
  const entries = [
    'src/main.ts',
    'src/simulator/main.ts',
    'src/cli/main.ts',
    'src/workflows/index.ts',
    'src/workflows/metrics-interceptor.ts',
  ];

  it('the compiled service, simulator and CLI load only packages from dependencies', () => {
    const reached = packagesReachedFrom(entries);
    const outside = [...reached]
      .filter(([name]) => !(name in (pkg.dependencies ?? {})))
      .map(([name, file]) => `${name} (imported by ${file})`);
    assert.deepEqual(outside, []);
    assert.ok(reached.has('@temporalio/worker') && reached.has('express'), "the walk reaches the service's packages");
  });

  it('tsx is a devDependency (only scripts, tests and `npm run dev` run TypeScript)', () => {
    assert.ok(!('tsx' in (pkg.dependencies ?? {})), 'tsx is not in dependencies');
    assert.ok('tsx' in (pkg.devDependencies ?? {}), 'tsx is in devDependencies');
    assert.ok(!packagesReachedFrom(entries).has('tsx'));
  });
});

describe('installing (scripts/ensure-deps.mjs, .ci/run)', () => {
  /** Runs ensure-deps.mjs in a scratch project whose `npm` only records its arguments. */
  function ensureDeps(setup: (dir: string) => void = () => {}): {
    calls: string[][];
    status: number | null;
    stderr: string;
  } {
    const dir = mkdtempSync(join(tmpdir(), 'ensure-deps-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(PROJECT_ROOT, 'scripts/ensure-deps.mjs'), join(dir, 'scripts/ensure-deps.mjs'));
      writeFileSync(join(dir, 'package-lock.json'), '{}');
      const log = join(dir, 'npm-calls');
      writeFileSync(join(dir, 'bin/npm'), `#!/bin/sh\necho "$@" >> '${log}'\n`);
      chmodSync(join(dir, 'bin/npm'), 0o755);
      setup(dir);
      const r = spawnSync(process.execPath, [join(dir, 'scripts/ensure-deps.mjs')], {
        env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
        encoding: 'utf8',
      });
      const calls = existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => l.split(' '))
        : [];
      return { calls, status: r.status, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('ensure-deps installs a fresh clone with `npm ci`', () => {
    const r = ensureDeps();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.calls.length, 1, JSON.stringify(r.calls));
    assert.equal(r.calls[0]![0], 'ci');
  });

  it('ensure-deps never reinstalls through a node_modules that is a link to a shared install', () => {
    const shared = mkdtempSync(join(tmpdir(), 'shared-node-modules-'));
    try {
      const r = ensureDeps((dir) => symlinkSync(shared, join(dir, 'node_modules')));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.calls, []);
      assert.match(r.stderr, /link/);
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('.ci/run installs with `npm ci` before `npm test`', () => {
    const run = readFileSync(join(PROJECT_ROOT, '.ci/run'), 'utf8');
    const ci = run.search(/^npm ci\b/m);
    assert.ok(ci >= 0, '.ci/run runs npm ci');
    assert.ok(ci < run.search(/^npm test\b/m), 'before npm test');
  });
});
