// Checklist: "Confirm production API credentials are server-side only."
// - the token exchange (or the static token) works against the configured AURA;
// - src/config.ts refuses the simulator's development credentials and webhook token with NODE_ENV=production
//   (against any AURA but a loopback simulator);
// - none of the configured secrets appears in what the service shows the outside (its OpenAPI document, readiness,
//   metrics, an incident list). The report writers redact them as well (report.ts).
import { ConfigError, loadEnv } from '../config.js';
import { brief, describeAuraError, step, type GoLiveContext } from './context.js';
import type { ItemResult, Step } from './types.js';

const STAGING = 'https://staging-panic.aura.services/panic-api';

/** Is this development configuration refused in production? (The variables that matter only.) */
function refusedInProduction(over: Record<string, string>): { refused: boolean; problems: string[] } {
  try {
    loadEnv({
      NODE_ENV: 'production',
      AURA_BASE_URL: STAGING,
      AURA_CLIENT_ID: 'go-live-client',
      AURA_CLIENT_SECRET: 'go-live-secret-value',
      WEBHOOK_TOKEN: 'go-live-webhook-token-value',
      ...over,
    });
    return { refused: false, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) return { refused: true, problems: err.problems };
    throw err;
  }
}

export async function checkCredentials(ctx: GoLiveContext): Promise<ItemResult> {
  const steps: Step[] = [];
  const problems: string[] = [];
  const { env } = ctx;
  const mode = env.AURA_STATIC_TOKEN ? 'static bearer token (AURA_STATIC_TOKEN)' : 'OAuth client credentials';

  // 1. The exchange: any authenticated call makes it (a read of the active callouts, harmless).
  try {
    const active = await ctx.aura.listActiveCallouts();
    const exchanged = ctx.auraCalls.find((c) => c.route === 'POST /v2/oauth/token');
    steps.push(
      step(
        'token exchange',
        env.AURA_STATIC_TOKEN ? '(static token: no exchange)' : 'POST /v2/oauth/token {clientId, clientSecret}',
        env.AURA_STATIC_TOKEN ? 'not needed' : `${exchanged?.status ?? '?'} accessToken (not shown)`,
        true,
      ),
    );
    steps.push(step('authenticated read', 'GET /v2/callouts/activeCallouts', `200, ${active.length} active`, true));
  } catch (err) {
    problems.push(`the ${mode} did not work: ${describeAuraError(ctx, err)}`);
    steps.push(step('token exchange', 'POST /v2/oauth/token', describeAuraError(ctx, err), false));
  }

  // 2. Development credentials refused in production (src/config.ts).
  const cases: [string, Record<string, string>][] = [
    ['development client id and secret', { AURA_CLIENT_ID: 'dev-client', AURA_CLIENT_SECRET: 'dev-secret' }],
    ['development static token', { AURA_STATIC_TOKEN: 'dev-token' }],
    ['development webhook token', { WEBHOOK_TOKEN: 'dev-webhook-token' }],
    ['no AURA credentials (falls back to the development ones)', { AURA_CLIENT_ID: '', AURA_CLIENT_SECRET: '' }],
  ];
  for (const [what, over] of cases) {
    const r = refusedInProduction(over);
    steps.push(
      step(
        `refused in production: ${what}`,
        `loadEnv(NODE_ENV=production, AURA_BASE_URL=${STAGING}, ${Object.keys(over).join(', ')})`,
        r.refused ? `refused: ${r.problems.join('; ')}` : 'ACCEPTED',
        r.refused,
      ),
    );
    if (!r.refused) problems.push(`src/config.ts accepts the ${what} with NODE_ENV=production`);
  }
  if (env.NODE_ENV === 'production') {
    steps.push(step('this configuration', 'NODE_ENV', 'production (loadEnv accepted it)', true));
  }

  // 3. No secret in what the service serves to anyone who asks.
  const surfaces = ['/openapi.json', '/readyz', '/metrics', '/v1/callouts?status=all&limit=20'];
  const secrets = ctx.secrets.filter((s) => s.length >= 6);
  for (const path of surfaces) {
    try {
      const r = await ctx.api('GET', path);
      const leaked = secrets.filter((s) => r.text.includes(s));
      steps.push(
        step(
          'no secret served',
          `GET ${path}`,
          `${r.status}, ${r.text.length} bytes, ${leaked.length} secret(s) found`,
          leaked.length === 0,
        ),
      );
      if (leaked.length) problems.push(`GET ${path} shows ${leaked.length} configured secret(s)`);
    } catch (err) {
      problems.push(`GET ${path} on the service failed: ${brief((err as Error).message)}`);
    }
  }

  const detail = problems.length
    ? problems.join('; ')
    : `${mode} work against ${env.AURA_BASE_URL}; with NODE_ENV=production the development client credentials, static ` +
      'token and webhook token are refused (src/config.ts; a loopback simulator excepted); no configured secret ' +
      `appears on ${surfaces.length} service surfaces, and the report and output are redacted`;
  return {
    name: 'credentials',
    title: 'Credentials are server-side only',
    status: problems.length ? 'fail' : 'pass',
    detail,
    steps,
  };
}
