// `npm run histories:record`: run representative lifecycles on a real dev server and keep their histories under
// test/fixtures/histories, where `npm test` replays them (Worker.runReplayHistories) so that a change that breaks
// determinism fails CI. Each release keeps its own folder (test/fixtures/histories/<release>, HISTORIES_RELEASE,
// default the current one): histories of released code are never re-recorded over, since runs they stand for may
// still be open; a new release records beside them.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { lifecycleWorkflowId } from '../src/domain/incident.js';
import { ensureTemporalCli, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { eventually, startStack, startTemporal, type Stack } from '../test/helpers/stack.js';

export const CURRENT_RELEASE = 'v3';
const out = join(PROJECT_ROOT, 'test', 'fixtures', 'histories', process.env.HISTORIES_RELEASE ?? CURRENT_RELEASE);
mkdirSync(out, { recursive: true });
const live = { latitude: -26.10911, longitude: 28.053037 };
const env = await startTemporal();
const cli = await ensureTemporalCli();

async function openIncident(stack: Stack, incidentId: string): Promise<number> {
  await stack.api('POST', '/v1/callouts', {
    incidentId,
    customerId: await stack.newCustomer(),
    location: live,
    notes: 'Gate code 4411',
  });
  return eventually(async () => (await stack.api('GET', `/v1/callouts/${incidentId}`)).body.auraCalloutId);
}

async function save(name: string, workflowIds: string[], opts: { open?: boolean } = {}): Promise<void> {
  for (const [i, workflowId] of workflowIds.entries()) {
    const handle = env.client.workflow.getHandle(workflowId);
    // Onboarding workflows stay open as the customer's subscription record: their history so far is recorded.
    if (!opts.open) await handle.result();
    // The newest run of a continued-as-new lifecycle, and its first run too.
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
    for (const runId of runs.length > 1 ? [runs[0]!, runs.at(-1)!] : [runs[0] ?? (await handle.describe()).runId]) {
      // The CLI writes the history in protobuf JSON, the form replay reads back (historyFromJSON).
      const json = execFileSync(
        cli,
        ['workflow', 'show', '--address', env.address, '-w', workflowId, '-r', runId, '--output', 'json'],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      );
      const history = JSON.parse(json);
      const file = join(out, `${name}-${i}-${runs.indexOf(runId) === 0 ? 'last' : 'first'}.json`);
      if (existsSync(file))
        throw new Error(
          `${file} exists: recorded histories are never overwritten (set HISTORIES_RELEASE for a new release)`,
        );
      writeFileSync(file, JSON.stringify({ workflowId, history }));
      console.log(`${file}: ${history.events?.length} events`);
    }
  }
}

const scenarios: [string, (s: Stack) => Promise<string[]>, Parameters<typeof startStack>[1]][] = [
  [
    'webhook-driven',
    async (s) => {
      const id = await openIncident(s, 'h-webhook');
      await s.api('POST', '/v1/callouts/h-webhook/location', live);
      await eventually(async () => (await s.api('GET', '/v1/callouts/h-webhook')).body.status === 'closed');
      return ['incident-h-webhook', lifecycleWorkflowId(id)];
    },
    {
      pollIntervalMs: 60_000,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 300, emitWebhooks: true } },
    },
  ],
  [
    'poll-only',
    async (s) => {
      const id = await openIncident(s, 'h-poll');
      await s.sim_('POST', `/__sim/callouts/${id}/events`, { message: 'Responder 5 minutes out' });
      await eventually(async () => (await s.api('GET', '/v1/callouts/h-poll')).body.status === 'closed');
      return ['incident-h-poll', lifecycleWorkflowId(id)];
    },
    { pollIntervalMs: 150, simulator: { autopilot: { enabled: true, stepMs: 400, emitWebhooks: false } } },
  ],
  [
    'cancelled',
    async (s) => {
      const id = await openIncident(s, 'h-cancel');
      await s.api('POST', '/v1/callouts/h-cancel/cancel', { safeCode: '0000' });
      await s.api('POST', '/v1/callouts/h-cancel/cancel', { reasons: ['FALSE_ALARM'] });
      return ['incident-h-cancel', lifecycleWorkflowId(id)];
    },
    { pollIntervalMs: 200, registerWebhook: true },
  ],
  [
    'rated',
    async (s) => {
      const id = await openIncident(s, 'h-rated');
      await s.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
      await eventually(async () => (await s.api('GET', '/v1/callouts/h-rated')).body.rating.state === 'requested');
      await s.api('POST', '/v1/callouts/h-rated/rating', { rating: 5, comment: 'Thank you' });
      return ['incident-h-rated', lifecycleWorkflowId(id)];
    },
    { pollIntervalMs: 200, ratingWindowMs: 60_000 },
  ],
  [
    'continued-as-new',
    async (s) => {
      const id = await openIncident(s, 'h-can');
      await eventually(async () => (await s.api('GET', '/v1/callouts/h-can')).body.status === 'closed', 60_000);
      return ['incident-h-can', lifecycleWorkflowId(id)];
    },
    {
      pollIntervalMs: 100,
      continueAsNewEvents: 50,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 1000, emitWebhooks: true } },
    },
  ],
];

// Onboarding (open workflows): `npm run histories:record -- onboarding` records only these.
async function onboard(s: Stack, ref: string, until: (b: any) => boolean): Promise<any> {
  await s.api('POST', '/v1/customers/onboarding', {
    customerRef: ref,
    name: 'Thandi',
    surname: 'Nkosi',
    mobile: `+2784${Date.now().toString().slice(-7)}`,
    subscriptionTypeId: 12,
  });
  return eventually(async () => {
    const b = (await s.api('GET', `/v1/customers/onboarding/${ref}`)).body;
    return until(b) ? b : null;
  }, 30_000);
}
const onboardingScenarios: [string, (s: Stack) => Promise<string[]>, Parameters<typeof startStack>[1]][] = [
  [
    'onboarding-webhook',
    async (s) => {
      const active = await onboard(s, 'h-onb-hook', (b) => b.status === 'active');
      await fetch(`${s.sim.panicApiUrl}/v2/subscriptions/${active.subscription.id}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer dev-token' },
      });
      await eventually(
        async () => (await s.api('GET', '/v1/customers/onboarding/h-onb-hook')).body.status === 'cancelled',
      );
      return ['onboarding-h-onb-hook'];
    },
    {
      registerWebhook: true,
      webhookEvents: [
        'CREATED_CUSTOMER',
        'UPDATED_CUSTOMER',
        'SUBSCRIPTION_CREATED',
        'SUBSCRIPTION_UPDATED',
        'SUBSCRIPTION_CANCELLED',
        'SUBSCRIPTION_CANCELLED_FAILED',
      ],
    },
  ],
  [
    'onboarding-read-back',
    async (s) => {
      await s.sim_('PUT', '/__sim/onboarding-faults', { loseCustomerCreateAnswers: 1 });
      await s.sim_('PUT', '/__sim/faults', { webhookDropRate: 0 });
      await onboard(s, 'h-onb-lost', (b) => b.status === 'active');
      await s.sim_('PUT', '/__sim/faults', { webhookDropRate: 1 });
      await onboard(s, 'h-onb-read', (b) => b.status === 'active');
      return ['onboarding-h-onb-lost', 'onboarding-h-onb-read'];
    },
    { registerWebhook: true, webhookEvents: ['CREATED_CUSTOMER', 'SUBSCRIPTION_CREATED', 'SUBSCRIPTION_CANCELLED'] },
  ],
];

const only = process.argv.slice(2);
const selected = [...scenarios, ...onboardingScenarios].filter(
  ([name]) => only.length === 0 || only.some((o) => name.startsWith(o)),
);

try {
  for (const [name, run, opts] of selected) {
    const stack = await startStack(env, opts);
    try {
      await save(name, await run(stack), { open: name.startsWith('onboarding') });
    } finally {
      await stack.close();
    }
  }
} finally {
  await env.teardown();
}
