// The worker process's own health, served on WORKER_METRICS_PORT beside its /metrics (SERVICE_ROLE=worker and all):
//   GET /healthz  liveness: 200 while no worker has failed (a failed worker takes the process down anyway)
//   GET /readyz   200 while every worker is RUNNING and polling its task queue; 503 while starting, draining
//                 (SIGTERM: `shutting_down`), stopped or failed, naming each worker that is not
//   GET /metrics  the process's Prometheus text, with aura_worker_up{task_queue} (1/0) for each worker
import { createServer, type Server } from 'node:http';
import type { State, Worker } from '@temporalio/worker';
import { METRICS_CONTENT_TYPE, metricsText } from '../metrics.js';

export interface WorkerOnQueue {
  taskQueue: string;
  worker: Pick<Worker, 'getState' | 'getStatus'>;
  /** False for a worker with no workflows: its workflow poller shuts down at start by design. Default true. */
  pollsWorkflows?: boolean;
}

export interface WorkerState {
  taskQueue: string;
  state: State;
  workflowPoller: string;
  activityPoller: string;
  /** RUNNING, and each poller it uses polling (not shut down or failed). */
  up: boolean;
}

export class WorkerHealth {
  private shuttingDown = false;

  constructor(private readonly workers: WorkerOnQueue[]) {}

  beginShutdown(): void {
    this.shuttingDown = true;
  }

  states(): WorkerState[] {
    return this.workers.map(({ taskQueue, worker, pollsWorkflows = true }) => {
      const s = worker.getStatus();
      const workflowPoller = pollsWorkflows ? s.workflowPollerState : 'NONE';
      return {
        taskQueue,
        state: s.runState,
        workflowPoller,
        activityPoller: s.activityPollerState,
        up:
          s.runState === 'RUNNING' &&
          (!pollsWorkflows || workflowPoller === 'POLLING') &&
          s.activityPollerState === 'POLLING',
      };
    });
  }

  liveness(): { ok: boolean; body: { status: 'ok' | 'failed'; workers: WorkerState[] } } {
    const workers = this.states();
    const failed = workers.some((w) => w.state === 'FAILED');
    return { ok: !failed, body: { status: failed ? 'failed' : 'ok', workers } };
  }

  readiness(): {
    ok: boolean;
    body: { status: 'ready' | 'not_ready' | 'shutting_down'; workers: WorkerState[]; problems?: string[] };
  } {
    const workers = this.states();
    if (this.shuttingDown)
      return { ok: false, body: { status: 'shutting_down', workers, problems: ['the process is shutting down'] } };
    const problems = workers
      .filter((w) => !w.up)
      .map(
        (w) =>
          `the worker of task queue "${w.taskQueue}" is ${w.state} (workflow poller ${w.workflowPoller}, ` +
          `activity poller ${w.activityPoller})`,
      );
    return problems.length
      ? { ok: false, body: { status: 'not_ready', workers, problems } }
      : { ok: true, body: { status: 'ready', workers } };
  }
}

/** The worker's HTTP server: /metrics, /healthz, /readyz (not yet listening). */
export function createWorkerHealthServer(health: WorkerHealth): Server {
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      const r = health.liveness();
      json(res, r.ok ? 200 : 503, r.body);
    } else if (path === '/readyz') {
      const r = health.readiness();
      json(res, r.ok ? 200 : 503, r.body);
    } else {
      res.writeHead(404).end();
    }
  });
}
