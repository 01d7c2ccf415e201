// The simulator's options (`startSimulator`), and the settings the modules read once the defaults are filled in.
import type { AutopilotConfig } from './state.js';

export interface SimulatorOptions {
  clientId?: string;
  clientSecret?: string;
  staticToken?: string;
  tokenTtlSeconds?: number;
  autopilot?: Partial<AutopilotConfig>;
  /** Allow plain-HTTP webhook URLs on loopback (development); AURA itself requires HTTPS. */
  allowLoopbackHttpWebhooks?: boolean;
  /** How long a cancelled callout stays "Responder Cancelled" before AURA closes it. */
  cancelCloseMs?: number;
  /** First callout id handed out (tests give each simulator its own range, as one AURA never repeats an id). */
  firstCalloutId?: number;
  /** Delay before a Fixed Location CSV import is processed and its callback sent (default 200 ms). */
  fixedLocationImportDelayMs?: number;
  /**
   * Answer a Fixed Location callout create for a location that already has an active callout with that callout
   * (default true). AURA documents this for customers only: false makes a second callout, as AURA may.
   */
  fixedLocationCalloutDedupe?: boolean;
}

export interface SimConfig {
  clientId: string;
  clientSecret: string;
  staticToken: string;
  tokenTtlSeconds: number;
  /** The autopilot's settings at start and after a reset. */
  autopilot: AutopilotConfig;
  allowLoopbackHttp: boolean;
  cancelCloseMs: number;
  firstCalloutId: number | undefined;
  fixedLocationImportDelayMs: number;
  fixedLocationCalloutDedupe: boolean;
}

export function simConfig(opts: SimulatorOptions = {}): SimConfig {
  return {
    clientId: opts.clientId ?? 'dev-client',
    clientSecret: opts.clientSecret ?? 'dev-secret',
    staticToken: opts.staticToken ?? 'dev-token',
    tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    autopilot: { enabled: false, stepMs: 2000, emitWebhooks: false, ...opts.autopilot },
    allowLoopbackHttp: opts.allowLoopbackHttpWebhooks ?? true,
    cancelCloseMs: opts.cancelCloseMs ?? 1000,
    firstCalloutId: opts.firstCalloutId,
    fixedLocationImportDelayMs: opts.fixedLocationImportDelayMs ?? 200,
    fixedLocationCalloutDedupe: opts.fixedLocationCalloutDedupe ?? true,
  };
}
