// docker-compose.yml: `docker compose config` where the compose plugin exists (skipped, with the reason, where it
// does not), and the production shape checked from the YAML itself on every machine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';

const composeFile = join(PROJECT_ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as any;
const services = compose.services as Record<string, any>;

function composePlugin(): string | null {
  const r = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  if (r.error) return 'the docker client is not installed';
  if (r.status !== 0)
    return `no docker compose plugin (\`docker compose version\`: ${(r.stderr || r.stdout).trim().split('\n')[0]})`;
  return null;
}
const noPlugin = composePlugin();

describe('docker-compose.yml', () => {
  it('passes `docker compose config` with .env.example as .env', { skip: noPlugin ?? false }, () => {
    // A copy of the project files the compose file names, with .env.example as .env.
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      copyFileSync(composeFile, join(dir, 'docker-compose.yml'));
      copyFileSync(join(PROJECT_ROOT, '.env.example'), join(dir, '.env'));
      for (const profile of [[], ['--profile', 'sim']]) {
        const r = spawnSync(
          'docker',
          [
            'compose',
            ...profile,
            '-f',
            join(dir, 'docker-compose.yml'),
            '--project-directory',
            PROJECT_ROOT,
            '--env-file',
            join(dir, '.env'),
            'config',
            '--quiet',
          ],
          { encoding: 'utf8' },
        );
        assert.equal(r.status, 0, r.stderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs PostgreSQL, schema setup, a pinned Temporal server, registration, the UI, the API and the worker; the simulator under `sim`', () => {
    for (const name of [
      'postgresql',
      'temporal-schema',
      'temporal',
      'temporal-init',
      'temporal-ui',
      'api',
      'worker',
      'simulator',
    ])
      assert.ok(services[name], `service ${name}`);
    const images = JSON.stringify(compose);
    assert.ok(!images.includes('auto-setup'), 'the deprecated temporalio/auto-setup image is not used');
    assert.match(services.temporal.image, /^temporalio\/server:\$\{TEMPORAL_SERVER_VERSION:-\d+\.\d+\.\d+\}$/);
    assert.match(services['temporal-schema'].image, /^temporalio\/admin-tools:/);
    assert.match(services['temporal-ui'].image, /^temporalio\/ui:\$\{TEMPORAL_UI_VERSION:-\d+\.\d+\.\d+\}$/);
    for (const [name, s] of Object.entries(services)) {
      if (s.image) assert.ok(!/:latest$/.test(s.image) && /:/.test(s.image), `${name} is pinned`);
    }
    assert.deepEqual(services.simulator.profiles, ['sim']);
    for (const name of ['api', 'worker']) {
      assert.equal(services[name].build, '.', `${name} is built from the project's Dockerfile`);
      assert.ok(services[name].env_file, `${name} reads .env`);
      assert.ok(services[name].healthcheck, `${name} has a healthcheck`);
    }
  });

  it("gives API and worker the adapter's database on the postgresql service (the app creates it; password from PGPASSWORD)", () => {
    for (const name of ['api', 'worker']) {
      const env = services[name].environment;
      assert.match(env.DATABASE_URL, /^postgres:\/\/postgresql:5432\/\$\{ADAPTER_DATABASE:-aura_callouts\}$/, name);
      assert.equal(env.PGUSER, '${POSTGRES_USER:-temporal}', name);
      assert.match(env.PGPASSWORD, /^\$\{POSTGRES_PASSWORD:\?/, name);
      assert.equal(services[name].depends_on?.postgresql?.condition, 'service_healthy', name);
    }
  });

  it('orders startup with healthchecks and depends_on conditions', () => {
    const cond = (svc: string, dep: string) => services[svc].depends_on?.[dep]?.condition;
    assert.equal(cond('temporal-schema', 'postgresql'), 'service_healthy');
    assert.equal(cond('temporal', 'temporal-schema'), 'service_completed_successfully');
    assert.equal(cond('temporal-init', 'temporal'), 'service_healthy');
    assert.equal(cond('worker', 'temporal-init'), 'service_completed_successfully');
    assert.equal(cond('api', 'temporal-init'), 'service_completed_successfully');
    assert.equal(cond('api', 'worker'), 'service_healthy');
    for (const name of ['postgresql', 'temporal']) assert.ok(services[name].healthcheck, `${name} has a healthcheck`);
    // Registration covers the search attributes the workflows write.
    const init = readFileSync(join(PROJECT_ROOT, 'deploy/temporal/init.sh'), 'utf8');
    for (const attr of ['IncidentId=Keyword', 'AuraCalloutId=Int', 'CalloutStatus=Keyword', 'CalloutPhase=Keyword'])
      assert.ok(init.includes(attr), attr);
  });

  it('the Dockerfile is multi-stage, Debian-based, and runs the compiled service', () => {
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const f of froms) assert.ok(/bookworm|bullseye|debian/.test(f) && !/alpine/.test(f), `${f} is Debian-based`);
    assert.match(dockerfile, /npm run build/);
    assert.match(dockerfile, /CMD \["node", "dist\/main\.js"\]/);
  });

  it('the Dockerfile runs on Node 24 LTS and installs exactly the lock (npm ci)', () => {
    const dockerfile = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!);
    for (const f of froms) assert.equal(f, 'node:24-bookworm-slim', `${f}: every stage on node:24-bookworm-slim`);
    const installs = [...dockerfile.matchAll(/^RUN .*\bnpm (install|i|ci)\b.*$/gm)].map((m) => m[0]);
    assert.ok(installs.length >= 1, 'the image installs its packages');
    for (const line of installs) assert.match(line, /\bnpm ci\b/, line);
  });
});
