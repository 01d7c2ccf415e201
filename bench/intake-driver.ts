// The load driver of the intake benchmark, in its own process (so the simulator in the bench's process does not
// colour it): one scheduler for every stage, a fixed rate with a cap on requests in flight, each request timed from
// the moment it is sent to its answer. A stage is either HTTP deliveries (the receiver, the bare Express floor) or
// the engine: the same deliveries turned into the same signalWithStart calls the receiver makes (same workflow ids,
// signal, arguments, task queue and id reuse policy), from a bare @temporalio/client in this process.
//
// Driven by the bench over IPC: {type: 'stage', ...StageRequest} → {type: 'result', ...SliceResult}.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { parseJsonLenient } from '../src/aura/json.js';
import { observationFromWebhook } from '../src/aura/mapping.js';
import { CalloutWebhook } from '../src/aura/schemas.js';
import { normaliseEventName } from '../src/domain/events.js';
import { lifecycleWorkflowId } from '../src/domain/incident.js';
import type { CalloutObservation } from '../src/domain/incident.js';

export interface StageRequest {
  id: number;
  /** `http`: POST each body to `url` + /webhooks/aura; `engine`: signalWithStart from a bare client. */
  kind: 'http' | 'engine';
  url?: string;
  /** A JSON file holding the bodies (strings), used in turn from a random offset. */
  bodiesFile: string;
  rate: number;
  durationS: number;
  concurrency: number;
  token?: string;
  temporalAddress?: string;
  namespace?: string;
  taskQueue?: string;
  /** The engine's client transport: the Rust core's connection (the SDK's NativeConnection) or @grpc/grpc-js. */
  transport?: 'native' | 'grpc-js';
}

/** One run of the scheduler: the raw figures, merged by the bench with the other slices of its stage. */
export interface SliceResult {
  id: number;
  rate: number;
  /** Acknowledgements answered after the slice's first WARMUP and before its end, and that window's length in s: the steady rate. */
  windowAcks: number;
  windowS: number;
  /** Every answer's latency in ms, from its send. */
  latencies: number[];
  /** Every acknowledgement (2xx, or the signal accepted), those after the slice's end (in flight then) included. */
  ok: number;
  sent: number;
  /** Requests due within the slice but never sent, because `concurrency` were in flight: the load did not keep up. */
  notSent: number;
  non2xx: number;
  errors: number;
  firstError?: string;
}

type Send = (k: number) => Promise<'ok' | 'non2xx'>;

/** Request k is due at k/rate s after the start; at most `concurrency` in flight; nothing is sent after `durationS`. */
export function drive(
  rate: number,
  durationS: number,
  concurrency: number,
  send: Send,
): Promise<Omit<SliceResult, 'id' | 'rate'>> {
  const total = Math.floor(rate * durationS);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let inFlight = 0;
  let next = 0;
  let ok = 0;
  let windowAcks = 0;
  let non2xx = 0;
  let errors = 0;
  let firstError: string | undefined;
  let stopped = false;
  let done = false;
  let timer: NodeJS.Timeout | null = null;
  const t0 = performance.now();
  const end = t0 + durationS * 1000;
  // Throughput is counted after a warm-up (a quarter of the slice, at most 1 s): the first answers come one latency
  // after the first sends, so counting from the start would understate the rate by the latency.
  const warm = t0 + Math.min(1000, (durationS * 1000) / 4);
  return new Promise((resolve) => {
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      resolve({
        windowAcks,
        windowS: (end - warm) / 1000,
        latencies: latencies.map((l) => Math.round(l * 100) / 100),
        ok,
        sent: next,
        notSent: total - next,
        non2xx,
        errors,
        ...(firstError ? { firstError } : {}),
      });
    };
    const pump = () => {
      timer = null;
      const now = performance.now();
      if (!stopped && (now >= end || next >= total)) stopped = true;
      while (!stopped && inFlight < concurrency && t0 + next * interval <= now) {
        const k = next++;
        const sentAt = performance.now();
        inFlight++;
        send(k)
          .then(
            (r) => {
              const at = performance.now();
              latencies.push(at - sentAt);
              if (r === 'ok') {
                ok++;
                if (at >= warm && at <= end) windowAcks++;
              } else non2xx++;
            },
            (err: unknown) => {
              errors++;
              firstError ??= (err as Error)?.message ?? String(err);
            },
          )
          .finally(() => {
            inFlight--;
            if (stopped) {
              if (inFlight === 0) finish();
            } else {
              if (timer) clearTimeout(timer);
              pump();
            }
          });
        if (next >= total) stopped = true;
      }
      if (stopped) {
        if (inFlight === 0) finish();
        return;
      }
      // Wake for the next due request (a completion wakes us sooner when the cap holds it back), or at the end.
      if (inFlight < concurrency)
        timer = setTimeout(pump, Math.max(0, Math.min(t0 + next * interval, end) - performance.now()));
      else timer = setTimeout(pump, Math.max(0, end - performance.now()));
    };
    pump();
  });
}

function bodiesOf(file: string): string[] {
  return JSON.parse(readFileSync(file, 'utf8')) as string[];
}

function httpSender(req: StageRequest): Send & { close(): void } {
  const bodies = bodiesOf(req.bodiesFile);
  const offset = Math.floor(Math.random() * bodies.length);
  const url = new URL('/webhooks/aura', req.url);
  // Fresh connections each slice: one kept idle across the drain between slices could be closed by the server
  // (keepAliveTimeout) just as a request is written on it.
  const agent = new Agent({ keepAlive: true, maxSockets: req.concurrency });
  const auth = `Bearer ${req.token ?? ''}`;
  const send: Send = (k) =>
    new Promise((resolve, reject) => {
      const body = bodies[(offset + k) % bodies.length]!;
      const r = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: auth,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode! >= 200 && res.statusCode! < 300 ? 'ok' : 'non2xx'));
          res.on('error', reject);
        },
      );
      r.setTimeout(30_000, () => r.destroy(new Error('timed out after 30 s')));
      r.on('error', reject);
      r.end(body);
    });
  return Object.assign(send, { close: () => agent.destroy() });
}

const clients = new Map<string, Client>();
async function engineSender(req: StageRequest): Promise<Send> {
  const transport = req.transport ?? 'native';
  let c = clients.get(transport);
  if (!c) {
    const address = req.temporalAddress!;
    const connection =
      transport === 'native' ? await NativeConnection.connect({ address }) : await Connection.connect({ address });
    clients.set(transport, (c = new Client({ connection, namespace: req.namespace ?? 'default' })));
  }
  const client = c;
  // The receiver's parsing, done once here before the stage: the engine is timed on the signal alone.
  const calls = bodiesOf(req.bodiesFile).map((text) => {
    const parsed = parseJsonLenient(text);
    if (!parsed.ok) throw new Error(`a bench body does not parse: ${parsed.error}`);
    const w = CalloutWebhook.parse(parsed.value);
    const obs: CalloutObservation = observationFromWebhook(w, normaliseEventName(w.message));
    return { auraCalloutId: w.callout.id, obs };
  });
  const offset = Math.floor(Math.random() * calls.length);
  return async (k) => {
    const { auraCalloutId, obs } = calls[(offset + k) % calls.length]!;
    await client.workflow.signalWithStart('calloutLifecycleWorkflow', {
      workflowId: lifecycleWorkflowId(auraCalloutId),
      taskQueue: req.taskQueue!,
      args: [{ auraCalloutId }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      signal: 'calloutObserved',
      signalArgs: [obs],
    });
    return 'ok';
  };
}

process.on('message', (msg: { type: string } & StageRequest) => {
  if (msg.type !== 'stage') return;
  void (async () => {
    try {
      const http = msg.kind === 'http' ? httpSender(msg) : null;
      const r = await drive(msg.rate, msg.durationS, msg.concurrency, http ?? (await engineSender(msg)));
      http?.close();
      process.send!({ type: 'result', id: msg.id, rate: msg.rate, ...r });
    } catch (err) {
      process.send!({ type: 'failed', id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
