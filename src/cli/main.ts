#!/usr/bin/env node
// aura-callouts: the operator CLI. Talks to the service's API (--api, or AURA_CALLOUTS_API, default
// http://127.0.0.1:3000); `register-webhook` talks to AURA's Panic API with the service's own configuration.
import { parseArgs } from 'node:util';
import { auraClientFromEnv } from '../aura/from-env.js';
import {
  registerReceiver,
  WebhookRegistrationError,
  webhookRegistrationFromEnv,
} from '../aura/webhook-registration.js';
import { ConfigError, loadEnv } from '../config.js';

// `go-live` has options of its own (src/go-live/cli.ts): dispatched before the other commands' parser.
if (process.argv[2] === 'go-live') {
  const { goLiveMain } = await import('../go-live/cli.js');
  process.exit(await goLiveMain(process.argv.slice(3)));
}

const USAGE = `aura-callouts <command> [options]

Commands
  list [--status active|closed|all] [--limit N]        incidents, newest first
  open --customer ID --lat X --lon Y [--incident ID] [--response-type SECURITY] [--notes TEXT] [--test]
                                                       open an incident (POST /v1/callouts)
  show <incidentId>                                    one incident
  watch <incidentId> [--interval MS] [--timeout S]     follow its timeline live until closed
  cancel <incidentId> [--safe-code 1234 | --reason R ...]
  note <incidentId> <text...> [--author NAME]           send an operator note into the callout's event stream
  alarm --alarm-id ID --location ID --type TYPE [--zone Z] [--notes TEXT] [--test] [--response-type T]
                                                       send a monitoring-platform alarm (POST /v1/alarms)
  sync                                                 run the Fixed Location reconciliation now
  register-webhook --url URL [--event NAME ...]        register the receiver with AURA (AURA_* and WEBHOOK_TOKEN from the environment)
  go-live [--json] [--report FILE]                     the go-live checklist against the configured AURA (see go-live --help)

Options
  --api URL     the service's API (default $AURA_CALLOUTS_API or http://127.0.0.1:3000)
  --json        print raw JSON
  -h, --help`;

// `--lat -26.1`: a negative number is the option's value, not another option.
const argv: string[] = [];
for (const a of process.argv.slice(2)) {
  const prev = argv[argv.length - 1];
  if (/^-\d/.test(a) && prev && /^--[a-z-]+$/.test(prev)) argv[argv.length - 1] = `${prev}=${a}`;
  else argv.push(a);
}

const { values: opts, positionals } = parseArgs({
  args: argv,
  allowPositionals: true,
  options: {
    api: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    status: { type: 'string' },
    limit: { type: 'string' },
    customer: { type: 'string' },
    lat: { type: 'string' },
    lon: { type: 'string' },
    incident: { type: 'string' },
    'response-type': { type: 'string' },
    notes: { type: 'string' },
    test: { type: 'boolean' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
    'safe-code': { type: 'string' },
    reason: { type: 'string', multiple: true },
    author: { type: 'string' },
    'alarm-id': { type: 'string' },
    location: { type: 'string' },
    type: { type: 'string' },
    zone: { type: 'string' },
    url: { type: 'string' },
    event: { type: 'string', multiple: true },
  },
});

const api = (opts.api ?? process.env.AURA_CALLOUTS_API ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const tty = process.stdout.isTTY === true;

class CliError extends Error {}

async function call(method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await fetch(api + path, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new CliError(`cannot reach the API at ${api} (${(err as Error).message})`);
  }
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* text */
  }
  if (!res.ok) {
    const e = parsed?.error;
    const details = e?.details?.map((d: any) => `\n  ${d.path}: ${d.message}`).join('') ?? '';
    throw new CliError(`${method} ${path} → ${res.status} ${e?.code ?? ''}: ${e?.message ?? text}${details}`);
  }
  return parsed;
}

const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));

function need(value: string | undefined, what: string): string {
  if (!value) throw new CliError(`${what} is required (see --help)`);
  return value;
}

function numberOf(value: string | undefined, what: string): number {
  const n = Number(need(value, what));
  if (!Number.isFinite(n)) throw new CliError(`${what} must be a number`);
  return n;
}

function summary(i: any): string {
  const who = i.responder?.callsign
    ? ` · ${i.responder.callsign}${i.responder.vehicle ? ` (${i.responder.vehicle})` : ''}`
    : '';
  return (
    `${i.incidentId}  ${String(i.phase).padEnd(10)} ${i.status ?? '(pending)'}  callout ` +
    `${i.auraCalloutId ?? '-'}${who}`
  );
}

function timelineLine(t: any): string {
  return `  ${t.at}  ${String(t.status).padEnd(22)} via ${t.source}${t.event ? ` (${t.event})` : ''}`;
}

async function watch(incidentId: string): Promise<void> {
  const intervalMs = opts.interval ? Number(opts.interval) : 1000;
  const deadline = opts.timeout ? Date.now() + Number(opts.timeout) * 1000 : Infinity;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let shown = 0;
  let notesShown = 0;
  let frame = 0;
  let lastLine = '';
  console.log(`watching ${incidentId} on ${api} (Ctrl-C to stop)`);
  for (;;) {
    const i = await call('GET', `/v1/callouts/${encodeURIComponent(incidentId)}`);
    const fresh = (i.timeline ?? []).slice(shown);
    const freshNotes = (i.notes ?? []).slice(notesShown);
    if (tty && lastLine) process.stdout.write('\r\x1b[2K');
    for (const t of fresh) console.log(timelineLine(t));
    for (const n of freshNotes)
      console.log(`  ${n.at}  note ${n.direction}${n.author ? ` from ${n.author}` : ''}: ${n.text}`);
    shown += fresh.length;
    notesShown += freshNotes.length;
    if (i.terminal) {
      console.log(i.failure ? `failed: ${i.failure.code}: ${i.failure.message}` : `${i.phase}: ${summary(i)}`);
      return;
    }
    const eta = i.eta ? ` · ETA ${i.eta}` : '';
    const line = `${frames[frame++ % frames.length]} ${i.phase} · ${i.status ?? 'waiting for AURA'}${eta}`;
    if (tty) process.stdout.write(line);
    else if (line.slice(2) !== lastLine.slice(2)) console.log(line);
    lastLine = line;
    if (Date.now() > deadline) throw new CliError(`${incidentId} not closed within ${opts.timeout} s (now ${i.phase})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function registerWebhook(): Promise<void> {
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  // The same checks as `npm run webhooks:register` (documented event names, HTTPS except loopback in development).
  const input = webhookRegistrationFromEnv(env);
  if (opts.url) input.url = opts.url;
  if (opts.event?.length) input.events = opts.event;
  const aura = auraClientFromEnv(env);
  let r;
  try {
    r = await registerReceiver(aura, input, (w) => console.error(`warning: ${w}`));
  } catch (err) {
    if (err instanceof WebhookRegistrationError) throw new CliError(err.message);
    throw err;
  }
  if (opts.json) print(r);
  else console.log(`registered ${r.url} with AURA at ${env.AURA_BASE_URL} for ${r.events.length} events`);
}

async function run(): Promise<void> {
  const [command, ...args] = positionals;
  if (opts.help || !command) {
    console.log(USAGE);
    return;
  }
  const id = () => encodeURIComponent(need(args[0], '<incidentId>'));
  switch (command) {
    case 'list': {
      const q = new URLSearchParams();
      if (opts.status) q.set('status', opts.status);
      if (opts.limit) q.set('limit', opts.limit);
      const r = await call('GET', `/v1/callouts${q.size ? `?${q}` : ''}`);
      if (opts.json) return print(r);
      if (!r.items.length) return console.log('no incidents');
      for (const i of r.items) console.log(summary(i));
      return;
    }
    case 'open': {
      const body: Record<string, unknown> = {
        customerId: numberOf(opts.customer, '--customer'),
        location: { latitude: numberOf(opts.lat, '--lat'), longitude: numberOf(opts.lon, '--lon') },
        ...(opts.incident ? { incidentId: opts.incident } : {}),
        ...(opts['response-type'] ? { responseType: opts['response-type'] } : {}),
        ...(opts.notes ? { notes: opts.notes } : {}),
        ...(opts.test ? { test: true } : {}),
      };
      const r = await call('POST', '/v1/callouts', body);
      return opts.json ? print(r) : console.log(`opened ${summary(r)}`);
    }
    case 'show': {
      const r = await call('GET', `/v1/callouts/${id()}`);
      if (opts.json) return print(r);
      console.log(summary(r));
      for (const t of r.timeline) console.log(timelineLine(t));
      return;
    }
    case 'watch':
      return watch(need(args[0], '<incidentId>'));
    case 'cancel': {
      const body = opts['safe-code'] ? { safeCode: opts['safe-code'] } : { reasons: opts.reason ?? [] };
      const r = await call('POST', `/v1/callouts/${id()}/cancel`, body);
      return opts.json ? print(r) : console.log(`cancelled: ${summary(r)}`);
    }
    case 'note': {
      const text = args.slice(1).join(' ');
      const r = await call('POST', `/v1/callouts/${id()}/notes`, {
        text: need(text, '<text>'),
        ...(opts.author ? { author: opts.author } : {}),
      });
      return opts.json ? print(r) : console.log('note accepted');
    }
    case 'alarm': {
      const body = {
        alarmId: need(opts['alarm-id'], '--alarm-id'),
        platformLocationId: need(opts.location, '--location'),
        alarmType: need(opts.type, '--type'),
        ...(opts.zone ? { zone: opts.zone } : {}),
        ...(opts.notes ? { notes: opts.notes } : {}),
        ...(opts.test ? { test: true } : {}),
        ...(opts['response-type'] ? { responseType: opts['response-type'] } : {}),
      };
      const r = await call('POST', '/v1/alarms', body);
      return opts.json ? print(r) : console.log(`alarm accepted: ${summary(r)}`);
    }
    case 'sync': {
      const r = await call('POST', '/v1/fixed-locations/sync', {});
      return opts.json
        ? print(r)
        : console.log(`Fixed Location sync started: run ${r.runId} (report: GET /v1/fixed-locations/sync/latest)`);
    }
    case 'register-webhook':
      return registerWebhook();
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

try {
  await run();
} catch (err) {
  console.error(`aura-callouts: ${err instanceof CliError ? err.message : ((err as Error)?.stack ?? String(err))}`);
  process.exit(1);
}
