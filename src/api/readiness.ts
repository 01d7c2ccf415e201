// Readiness as a list of named checks that modules register: Temporal answering, a worker polling, AURA configured,
// and whatever else a replica needs before a load balancer sends it traffic (a database, once one is configured:
// `readiness.addCheck('database', () => pool.query('select 1'))`). A check passes when it returns and fails when it
// throws (its message is the sentence /readyz shows) or takes longer than its timeout. A failing *required* check
// makes /readyz 503; a failing advisory one (required: false) is reported in `warnings` and /readyz stays 200.
// Once the process begins shutting down, /readyz answers 503 `shutting_down` whatever the checks say, so the load
// balancer stops sending new requests before the server closes.

export type ReadinessCheck = () => unknown;

export interface ReadinessCheckOptions {
  /** A failing required check makes the replica not ready (503); an advisory one is a warning. Default true. */
  required?: boolean;
  /** How long the check may take before it counts as failed (default: the Readiness's timeout). */
  timeoutMs?: number;
}

/** A check as other modules hand it to createApp (`readinessChecks`). */
export interface NamedReadinessCheck extends ReadinessCheckOptions {
  name: string;
  check: ReadinessCheck;
}

/** Each check's outcome: ok, fail (a required check failed), warn (an advisory check failed). */
export type CheckOutcome = 'ok' | 'fail' | 'warn';

export interface ReadinessReport {
  status: 'ready' | 'not_ready' | 'shutting_down';
  checks: Record<string, CheckOutcome>;
  /** What makes the replica not ready (present with not_ready and shutting_down). */
  problems?: string[];
  /** What an advisory check found (the replica is still ready). */
  warnings?: string[];
}

interface Registered {
  check: ReadinessCheck;
  required: boolean;
  timeoutMs: number | undefined;
}

export class Readiness {
  private readonly checks = new Map<string, Registered>();
  private shuttingDown = false;

  constructor(private readonly defaultTimeoutMs = 3_000) {}

  /** Registers (or replaces) the check `name`; returns a function that removes it. */
  addCheck(name: string, check: ReadinessCheck, opts: ReadinessCheckOptions = {}): () => void {
    const entry: Registered = { check, required: opts.required ?? true, timeoutMs: opts.timeoutMs };
    this.checks.set(name, entry);
    return () => {
      if (this.checks.get(name) === entry) this.checks.delete(name);
    };
  }

  get names(): string[] {
    return [...this.checks.keys()];
  }

  /** From now on the replica answers 503 `shutting_down` (SIGTERM: before the server closes). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Runs every check at once, each within its timeout. */
  async report(): Promise<ReadinessReport> {
    if (this.shuttingDown) return { status: 'shutting_down', checks: {}, problems: ['the process is shutting down'] };
    const entries = [...this.checks];
    const results = await Promise.all(entries.map(([name, c]) => this.run(name, c)));
    const checks: Record<string, CheckOutcome> = {};
    const problems: string[] = [];
    const warnings: string[] = [];
    entries.forEach(([name, c], i) => {
      const failure = results[i];
      if (failure === null) checks[name] = 'ok';
      else if (c.required) {
        checks[name] = 'fail';
        problems.push(failure!);
      } else {
        checks[name] = 'warn';
        warnings.push(failure!);
      }
    });
    // A check registered or SIGTERM received while the checks ran: shutting down wins.
    if (this.shuttingDown) return { status: 'shutting_down', checks, problems: ['the process is shutting down'] };
    return {
      status: problems.length ? 'not_ready' : 'ready',
      checks,
      ...(problems.length ? { problems } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /** null when the check passed, else the sentence naming what is wrong. */
  private async run(name: string, c: Registered): Promise<string | null> {
    const timeoutMs = c.timeoutMs ?? this.defaultTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => {
      timer = setTimeout(() => r(`${name}: no answer within ${timeoutMs} ms`), timeoutMs);
      timer.unref();
    });
    const outcome = (async () => {
      try {
        await c.check();
        return null;
      } catch (err) {
        return err instanceof Error ? err.message : `${name}: ${String(err)}`;
      }
    })();
    try {
      return await Promise.race([outcome, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
