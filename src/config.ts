// Every environment variable the service reads, in one zod schema. A start with bad configuration fails at once,
// naming each invalid or missing variable.
import { z } from 'zod';
import { loadTemporalProfile, TemporalProfileError, usesTemporalProfile } from './temporal/envconfig.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min = 0) => z.coerce.number().int().min(min);
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** `SECURITY=1,MEDICAL=2` → { SECURITY: 1, MEDICAL: 2 } */
const responseTypeMap = z.string().transform((s, ctx) => {
  const out: Record<string, number> = {};
  for (const pair of s
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, id] = pair.split('=').map((x) => x?.trim());
    const n = Number(id);
    if (!name || !Number.isInteger(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${pair}" is not NAME=id` });
      return z.NEVER;
    }
    out[name.toUpperCase()] = n;
  }
  return out;
});

export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Temporal (Temporal's own environment conventions, read through @temporalio/envconfig)
  /** A Temporal client config file (TOML, `[profile.<name>]`); the variables below override its profile. */
  TEMPORAL_CONFIG_FILE: z.string().optional(),
  /** The profile of that file (default "default"); alone, the default file ~/.config/temporalio/temporal.toml. */
  TEMPORAL_PROFILE: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('aura-callouts'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_UI_URL: z.string().url().optional(),
  /** AES-256-GCM key (base64 of 32 bytes): when set, every Temporal payload is encrypted by the payload codec. */
  TEMPORAL_PAYLOAD_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  /** Id written into each encrypted payload's metadata, so keys can be rotated. */
  TEMPORAL_PAYLOAD_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .default('k1'),
  /** Keys retired from encrypting but still needed to decrypt older histories: "keyId:base64,keyId:base64". */
  TEMPORAL_PAYLOAD_PREVIOUS_KEYS: z.string().optional(),
  /**
   * Bearer token the API's codec endpoint (/codec/decode, /codec/encode) requires; without it the endpoint is off in
   * production.
   */
  CODEC_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),

  // AURA Panic API
  AURA_BASE_URL: z.string().url().default('http://127.0.0.1:4010/panic-api'),
  AURA_CLIENT_ID: z.string().optional(),
  AURA_CLIENT_SECRET: z.string().optional(),
  AURA_STATIC_TOKEN: z.string().optional(),
  AURA_TIMEOUT_MS: int(100).default(10_000),
  /** Global cap on Panic API requests per second, enforced by the Temporal server across all workers. */
  AURA_MAX_REQUESTS_PER_SECOND: z.coerce.number().positive().default(20),
  /** Bound of the client's pacer queue: a request that would wait longer fails fast (retryable) instead. */
  AURA_MAX_QUEUE_WAIT_MS: int(0).default(5_000),
  RESPONSE_TYPES: responseTypeMap.default({ SECURITY: 1, MEDICAL: 2 }),

  // Callout lifecycle
  /** Poll interval while webhooks are silent; positions are sent at most this often. */
  POLL_INTERVAL_MS: int(100).default(10_000),
  /** Poll interval while webhooks flow. */
  POLL_INTERVAL_SLOW_MS: int(100).default(60_000),
  EVENTS_EVERY_POLLS: int(1).default(3),
  RATING_WINDOW_MS: int(1000).default(24 * 3600_000),
  LIFECYCLE_LIVENESS_MS: int(1000).default(5 * 60_000),
  RATE_CANCELLED_CALLOUTS: bool.default(false),
  RATE_TEST_CALLOUTS: bool.default(false),
  PLATFORM_EVENTS_URL: z.string().url().optional(),
  PLATFORM_EVENTS_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CONTINUE_AS_NEW_EVENTS: int(50).default(5_000),
  /** Workflows the worker caches (two per active callout); unset: the SDK's default, derived from the heap size. */
  WORKER_MAX_CACHED_WORKFLOWS: int(2).optional(),
  /** Workflow tasks the worker runs at once. */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS: int(2).optional(),
  /**
   * Workflow task polls kept open at once (sticky and normal queue together); `autoscaling`: as the server's backlog
   * asks.
   */
  WORKER_WORKFLOW_TASK_POLLERS: z.union([z.literal('autoscaling'), int(2)]).optional(),
  /**
   * Share of the workflow task polls on the normal queue (new workflows, evicted runs) rather than the worker's sticky
   * queue.
   */
  WORKER_NONSTICKY_TO_STICKY_POLL_RATIO: z.coerce.number().gt(0).max(1).optional(),
  /** Panic API activities the worker runs at once (the cap and the pacer bound them anyway). */
  WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS: int(1).optional(),
  /** Local activities (workflow config, attaching an incident to its lifecycle) the worker runs at once. */
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITY_EXECUTIONS: int(1).optional(),

  // API and receiver
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: int().default(3000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  WEBHOOK_TOKEN: z.string().min(8, 'must be at least 8 characters').default('dev-webhook-token'),
  WEBHOOK_AUTH_HEADER: z.string().default('authorization'),
  WEBHOOK_IP_ALLOWLIST: csv.optional(),
  /**
   * Proxies trusted to set X-Forwarded-For (Express "trust proxy": "loopback", IPs/CIDRs, or a hop count). Unset: none.
   */
  TRUST_PROXY: z.string().optional(),

  // Production process (npm start) and operations
  /** What `npm start` runs in this process: the API, the worker, or both. */
  SERVICE_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** The worker's own /metrics (its process metrics and the Temporal SDK's worker metrics). */
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
  WORKER_METRICS_PORT: int().default(9464),
  /** A prebuilt workflow bundle (`npm run build` writes dist/workflow-bundle.js); unset: bundle at start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** On SIGTERM, how long in-flight activities may run before the worker cancels them. */
  SHUTDOWN_GRACE_MS: int(0).default(30_000),
  /** On SIGTERM, how long /readyz answers 503 (shutting_down) while the API still serves, before it stops accepting. */
  SHUTDOWN_READINESS_DELAY_MS: int(0).default(5_000),

  // Customer onboarding and webhook registration
  /** Let live callouts through for known customers without an active subscription (legacy grace, by arrangement). */
  SUBSCRIPTION_GRACE: bool.default(false),
  /** How long onboarding waits for the subscription webhook before reading the subscription back. */
  ONBOARDING_CONFIRM_WAIT_MS: int(0).default(15_000),
  /** Default subscription length when a request names no validTo. */
  SUBSCRIPTION_DEFAULT_DAYS: int(1).default(365),
  /** Public HTTPS URL of the receiver as AURA should call it (default PUBLIC_BASE_URL + /webhooks/aura). */
  WEBHOOK_PUBLIC_URL: z.string().url().optional(),
  /** Events to register (default: every documented current event). */
  WEBHOOK_EVENTS: csv.optional(),
  /** Register the receiver with AURA when the API starts. */
  WEBHOOK_REGISTER_ON_START: bool.default(false),

  // Simulator (npm run sim / npm run dev)
  SIM_HOST: z.string().default('127.0.0.1'),
  SIM_PORT: int().default(4010),

  // Monitoring-platform adapter: platform locations, Fixed Location reconciliation, alarm dispatch
  /**
   * The adapter's own data (platform locations, the Fixed Location index, sync reports, a reconciliation's
   * intermediate state) in PostgreSQL, shared by every API and worker process. Unset: the embedded server, its
   * cluster in DATA_DIR/postgres (started by the first process that needs it, reused by the others).
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  /** Home of the embedded database (without DATABASE_URL), and of a file-store DATA_DIR imported at start. */
  DATA_DIR: z.string().default('.data'),
  /** Portfolio loaded at start (CSV or JSON) when new or changed since the last load. */
  PLATFORM_LOCATIONS_FILE: z.string().optional(),
  /** One maintenance mode, never both: AURA's CSV import is a full sync that deletes what the file lacks. */
  FIXED_LOCATION_SYNC_MODE: z.enum(['rest', 'csv']).default('rest'),
  /** Interval of the reconciliation Schedule; 0 removes the Schedule (on demand only). */
  FIXED_LOCATION_SYNC_INTERVAL_MS: int(0).default(15 * 60_000),
  FIXED_LOCATION_PAGE_SIZE: int(1).default(500),
  FIXED_LOCATION_BATCH_SIZE: int(1).default(500),
  FIXED_LOCATION_CONCURRENCY: int(1).default(8),
  /** The reconciliation's own pace toward AURA (0: unlimited); keeps headroom under AURA_MAX_REQUESTS_PER_SECOND. */
  FIXED_LOCATION_MAX_REQUESTS_PER_SECOND: z.coerce.number().min(0).default(10),
  FIXED_LOCATION_CSV_MAX_DELETE_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  FIXED_LOCATION_CSV_CALLBACK_TIMEOUT_MS: int(1000).default(10 * 60_000),
  /**
   * Where AURA POSTs the CSV import result (HTTPS in production); defaults to PUBLIC_BASE_URL, then the API address.
   */
  FIXED_LOCATION_CALLBACK_BASE_URL: z.string().url().optional(),
  FIXED_LOCATION_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  FIXED_LOCATION_REPORT_MAX_ISSUES: int(1).default(1_000),

  // Go-live
  /** Where AURA's resolution reports are stored or linked for operators (AURA keeps them in its portal, not the API). */
  RESOLUTION_REPORTS_URL: z.string().url().optional(),
});

export type Env = z.output<typeof EnvSchema>;

function isLoopbackUrl(url: string): boolean {
  try {
    const h = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return h === 'localhost' || h === '::1' || /^127\./.test(h);
  } catch {
    return false;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = source[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const r = EnvSchema.safeParse(input);
  // Every problem at once: schema issues and the cross-variable rules below, each naming its variable.
  const problems: string[] = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const production = input.NODE_ENV === 'production';
  const missingCredentials = !input.AURA_STATIC_TOKEN && !(input.AURA_CLIENT_ID && input.AURA_CLIENT_SECRET);
  if (production && missingCredentials) problems.push('AURA_CLIENT_ID and AURA_CLIENT_SECRET: required in production');
  if (production && (input.WEBHOOK_TOKEN ?? 'dev-webhook-token') === 'dev-webhook-token') {
    problems.push('WEBHOOK_TOKEN: the development token must not be used in production');
  }
  // The simulator's documented credentials are refused in production against any AURA but a loopback one (the
  // simulator, as production-mode tests run it); `aura-callouts go-live` checks this rule.
  if (production && !isLoopbackUrl(input.AURA_BASE_URL ?? 'http://127.0.0.1:4010/panic-api')) {
    if (input.AURA_CLIENT_ID === 'dev-client' || input.AURA_CLIENT_SECRET === 'dev-secret')
      problems.push('AURA_CLIENT_ID / AURA_CLIENT_SECRET: the development credentials must not be used in production');
    if (input.AURA_STATIC_TOKEN === 'dev-token')
      problems.push('AURA_STATIC_TOKEN: the development token must not be used in production');
  }
  if (Boolean(input.TEMPORAL_TLS_CLIENT_CERT_PATH) !== Boolean(input.TEMPORAL_TLS_CLIENT_KEY_PATH)) {
    problems.push('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: give both or neither');
  }
  // A Temporal profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE) supplies what the variables leave unset.
  let profile: ReturnType<typeof loadTemporalProfile> | null = null;
  if (usesTemporalProfile(input)) {
    try {
      profile = loadTemporalProfile({
        ...input,
        HOME: source.HOME,
        XDG_CONFIG_HOME: source.XDG_CONFIG_HOME,
        APPDATA: source.APPDATA,
      });
    } catch (err) {
      if (!(err instanceof TemporalProfileError)) throw err;
      problems.push(err.message);
    }
  }
  if (!r.success || problems.length) throw new ConfigError(problems);
  const env = r.data;
  if (profile) {
    if (profile.address) env.TEMPORAL_ADDRESS = profile.address;
    if (profile.namespace) env.TEMPORAL_NAMESPACE = profile.namespace;
    if (profile.apiKey) env.TEMPORAL_API_KEY = profile.apiKey;
  }
  if (missingCredentials) {
    // Development default: the simulator's documented credentials.
    env.AURA_CLIENT_ID = 'dev-client';
    env.AURA_CLIENT_SECRET = 'dev-secret';
  }
  return env;
}
