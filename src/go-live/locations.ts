// Checklist: "Verify every platform location can resolve to exactly one AURA externalReferenceId" and "If using CSV
// import, verify callback handling and post-import reconciliation". Both sides are read as the reconciliation
// reads them: the platform's portfolio through the service's API (GET /v1/platform-locations, the same store), AURA's
// Fixed Locations through the same paged, fail-closed listing (listAllFixedLocations, ListingCollector).
import { listAllFixedLocations } from '../activities/fixed-locations/listing.js';
import { callbackPath } from '../activities/fixed-locations/shared.js';
import { checkCsvImport } from '../domain/fixed-location-csv.js';
import type { FixedLocationListing } from '../domain/fixed-locations.js';
import { isLoopbackHost } from '../aura/webhook-registration.js';
import { brief, describeAuraError, step, type GoLiveContext } from './context.js';
import type { ItemResult, Step } from './types.js';

/** Every platform location id, page by page (limit 1000, the API's maximum). */
export async function platformLocationIds(ctx: GoLiveContext): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ;) {
    const r = await ctx.api('GET', `/v1/platform-locations?limit=1000&offset=${offset}`);
    if (r.status !== 200) throw new Error(`GET /v1/platform-locations answered ${r.status}: ${brief(r.body)}`);
    const items = (r.body?.items ?? []) as { platformLocationId: string }[];
    ids.push(...items.map((i) => i.platformLocationId));
    offset += items.length;
    if (items.length === 0 || offset >= Number(r.body?.total ?? 0)) return ids;
  }
}

export interface Resolution {
  resolved: number;
  missing: string[];
  duplicated: { ref: string; auraIds: number[] }[];
}

/** Pure: each platform location against AURA's references (exactly one, none, several). */
export function resolveLocations(platformIds: readonly string[], listing: Pick<FixedLocationListing, 'locations'>) {
  const byRef = new Map<string, number[]>();
  for (const a of listing.locations)
    byRef.set(a.externalReferenceId, [...(byRef.get(a.externalReferenceId) ?? []), a.id]);
  const out: Resolution = { resolved: 0, missing: [], duplicated: [] };
  for (const id of platformIds) {
    const hits = byRef.get(id) ?? [];
    if (hits.length === 1) out.resolved++;
    else if (hits.length === 0) out.missing.push(id);
    else out.duplicated.push({ ref: id, auraIds: hits });
  }
  return out;
}

const list = (xs: readonly string[], max = 20) =>
  `${xs.slice(0, max).join(', ')}${xs.length > max ? `, … (${xs.length} in all)` : ''}`;

export interface Portfolio {
  platform: string[];
  listing: FixedLocationListing;
}

export async function readBothSides(ctx: GoLiveContext, steps: Step[]): Promise<Portfolio | string> {
  let platform: string[];
  try {
    platform = await platformLocationIds(ctx);
    steps.push(
      step('platform side', 'GET /v1/platform-locations?limit=1000 (all pages)', `${platform.length} locations`, true),
    );
  } catch (err) {
    steps.push(step('platform side', 'GET /v1/platform-locations', (err as Error).message, false));
    return `the platform's locations could not be read: ${(err as Error).message}`;
  }
  try {
    const listing = await listAllFixedLocations(ctx.aura, ctx.env.FIXED_LOCATION_PAGE_SIZE);
    steps.push(
      step(
        'AURA side',
        `GET /v2/predefinedLocations?page=1..${listing.summary.pages}&limit=${ctx.env.FIXED_LOCATION_PAGE_SIZE}`,
        `${listing.locations.length} referenced, ${listing.unreferenced.length} without externalReferenceId${listing.problem ? `; listing problem: ${listing.problem}` : ''}`,
        !listing.problem,
      ),
    );
    return { platform, listing };
  } catch (err) {
    steps.push(step('AURA side', 'GET /v2/predefinedLocations', describeAuraError(ctx, err), false));
    return `AURA's Fixed Locations could not be listed: ${describeAuraError(ctx, err)}`;
  }
}

export async function checkFixedLocations(
  ctx: GoLiveContext,
  sides: Portfolio | string,
  steps: Step[],
): Promise<ItemResult> {
  const base = { name: 'fixed-locations', title: 'Every platform location resolves to one AURA Fixed Location', steps };
  if (typeof sides === 'string') return { ...base, status: 'fail', detail: sides };
  const { platform, listing } = sides;
  if (listing.problem)
    return {
      ...base,
      status: 'fail',
      detail: `AURA's list cannot be trusted, so nothing can be resolved: ${listing.problem}`,
    };
  const r = resolveLocations(platform, listing);
  const problems: string[] = [];
  if (platform.length === 0)
    problems.push(
      'the platform has no locations (load the portfolio: PLATFORM_LOCATIONS_FILE or PUT /v1/platform-locations/:id)',
    );
  if (r.missing.length) problems.push(`${r.missing.length} missing in AURA: ${list(r.missing)}`);
  if (r.duplicated.length)
    problems.push(
      `${r.duplicated.length} duplicated references: ${r.duplicated
        .slice(0, 20)
        .map((d) => `${d.ref} (AURA ids ${d.auraIds.join(', ')})`)
        .join(', ')}`,
    );
  const fix = r.missing.length ? ' Run a reconciliation (aura-callouts sync) and read its report.' : '';
  const fixDup = r.duplicated.length ? ' Delete all but one of each duplicate in AURA, then sync.' : '';
  return {
    ...base,
    status: problems.length ? 'fail' : 'pass',
    detail: problems.length
      ? `${r.resolved} of ${platform.length} resolve to exactly one; ${problems.join('; ')}.${fix}${fixDup}`
      : `all ${platform.length} platform locations resolve to exactly one AURA externalReferenceId (${listing.locations.length} referenced AURA Fixed Locations, ${listing.unreferenced.length} without a reference)`,
  };
}

export async function checkCsvMode(ctx: GoLiveContext, sides: Portfolio | string): Promise<ItemResult> {
  const base = { name: 'csv-import', title: 'CSV import: callback and delete guard' };
  const { env } = ctx;
  if (env.FIXED_LOCATION_SYNC_MODE !== 'csv') {
    // The checklist item is conditional ("If using CSV import"): in rest mode its condition is checked, not skipped.
    return {
      ...base,
      status: 'pass',
      detail:
        'not applicable: api mode (FIXED_LOCATION_SYNC_MODE=rest); the reconciliation never uploads a CSV, so there is no callback and no full-sync delete to guard',
    };
  }
  const steps: Step[] = [];
  const problems: string[] = [];
  const callbackBase = (env.FIXED_LOCATION_CALLBACK_BASE_URL ?? env.PUBLIC_BASE_URL ?? ctx.opts.api).replace(
    /\/+$/,
    '',
  );
  const url = new URL(callbackBase);
  if (url.protocol !== 'https:' && !(isLoopbackHost(url.hostname) && ctx.simulator))
    problems.push(`the callback base ${url.origin} is not HTTPS (AURA requires an HTTPS callbackUrl)`);
  // From outside: an unsigned callback is refused by the service (401), a signed one for no waiting import is
  // acknowledged and ignored (200): the route is reachable at the public address and guarded.
  const secret = env.FIXED_LOCATION_CALLBACK_SECRET ?? `fixed-location-callback:${env.WEBHOOK_TOKEN}`; // as src/runtime.ts
  const signed = callbackPath('go-live-probe', 'go-live-probe', secret);
  const unsigned = signed.replace(/\/[0-9a-f]+$/, '/0000');
  for (const [what, path, want] of [
    ['unsigned callback refused', unsigned, 401],
    ['signed callback acknowledged', signed, 200],
  ] as const) {
    try {
      const r = await ctx.http('POST', callbackBase + path, { status: 'completed', message: 'go-live probe' });
      const shown = path === signed ? path.replace(/\/[0-9a-f]+$/, '/<signature>') : path;
      steps.push(step(what, `POST ${callbackBase}${shown}`, `${r.status} ${brief(r.body)}`, r.status === want));
      if (r.status !== want)
        problems.push(`the callback route answered ${r.status} to a ${what.split(' ')[0]} request (expected ${want})`);
    } catch (err) {
      steps.push(
        step(what, `POST ${callbackBase}/callbacks/aura/fixed-location-import/…`, (err as Error).message, false),
      );
      problems.push(`the callback URL ${callbackBase} does not answer: ${(err as Error).message}`);
      break;
    }
  }
  // The delete guard on the current portfolio, computed only: nothing is uploaded.
  if (typeof sides === 'string') problems.push(sides);
  else {
    const check = checkCsvImport(
      new Set(sides.platform),
      sides.listing,
      env.FIXED_LOCATION_CSV_MAX_DELETE_SHARE,
      false,
    );
    steps.push(
      step(
        'delete guard (not uploaded)',
        `checkCsvImport(${sides.platform.length} platform, ${check.aura} AURA)`,
        check.message,
        !check.refused,
      ),
    );
    if (check.refused) problems.push(`the next CSV import would be refused: ${check.message}`);
  }
  return {
    ...base,
    status: problems.length ? 'fail' : 'pass',
    detail: problems.length
      ? problems.join('; ')
      : `callback ${callbackBase}/callbacks/aura/fixed-location-import/… answers from here (401 unsigned, 200 signed); the delete guard accepts the current portfolio (nothing uploaded)`,
    steps,
  };
}
