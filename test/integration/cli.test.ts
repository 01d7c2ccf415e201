// The operator CLI against a real stack: watch follows a demo callout to closed; list, note, cancel, register-webhook.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

const live = { latitude: -26.10911, longitude: 28.053037, accuracy: 12 };

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

describe('aura-callouts CLI', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, {
      pollIntervalMs: 500,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 700, emitWebhooks: true } },
    });
  });
  after(() => stack.close());

  it('watch follows a demo callout through its timeline to closed, with a progress line', async () => {
    const opened = await cli([
      'open',
      '--api',
      stack.apiUrl,
      '--incident',
      'cli-demo',
      '--customer',
      '184708',
      '--lat',
      String(live.latitude),
      '--lon',
      String(live.longitude),
    ]);
    assert.equal(opened.code, 0, opened.err);
    assert.match(opened.out, /opened cli-demo/);
    const watched = await cli(['watch', 'cli-demo', '--api', stack.apiUrl, '--interval', '200', '--timeout', '60']);
    assert.equal(watched.code, 0, watched.err);
    const lines = watched.out.split('\n');
    // Each transition printed once, in order, then the closing line.
    const order = ['created', 'Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed'].map((s) =>
      lines.findIndex((l) => new RegExp(`Z\\s+${s}\\s+via`).test(l)),
    );
    assert.ok(
      order.every((i) => i >= 0),
      watched.out,
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.ok(
      lines.some((l) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \w+ · /.test(l)),
      'a progress line while it runs',
    );
    assert.match(watched.out, /closed: cli-demo\s+closed\s+closed/);
  });

  it('list, note and cancel', async () => {
    // This one stays open: the responder autopilot is off.
    await stack.sim_('PUT', '/__sim/autopilot', { enabled: false });
    const customer = await stack.newCustomer();
    await stack.api('POST', '/v1/callouts', { incidentId: 'cli-2', customerId: customer, location: live });
    await stack.incidentWhen('cli-2', (b) => b.auraCalloutId !== null);
    const listed = await cli(['list', '--api', stack.apiUrl, '--status', 'all']);
    assert.equal(listed.code, 0, listed.err);
    assert.match(listed.out, /cli-2/);
    const note = await cli(['note', 'cli-2', 'Gate', 'code', '4411', '--author', 'operator-7', '--api', stack.apiUrl]);
    assert.equal(note.code, 0, note.err);
    const cancel = await cli(['cancel', 'cli-2', '--reason', 'FALSE_ALARM', '--api', stack.apiUrl]);
    assert.equal(cancel.code, 0, cancel.err);
    assert.match(cancel.out, /cancelled: cli-2/);
    const bad = await cli(['show', 'no-such-incident', '--api', stack.apiUrl]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /404 INCIDENT_NOT_FOUND/);
  });

  it('register-webhook registers the receiver with AURA from the service configuration', async () => {
    const r = await cli(['register-webhook', '--url', `${stack.apiUrl}/webhooks/aura`, '--json'], {
      AURA_BASE_URL: stack.sim.panicApiUrl,
      WEBHOOK_TOKEN,
    });
    assert.equal(r.code, 0, r.err);
    assert.ok(JSON.parse(r.out));
  });
});
