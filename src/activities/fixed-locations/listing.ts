// Reading every AURA Fixed Location, paced and heartbeating, for the reconciliation's plan and its batches.
import { Pacer } from '../../aura/pacer.js';
import { Context } from '@temporalio/activity';
import type { AuraClient } from '../../aura/client.js';
import { AuraResponseError } from '../../aura/errors.js';
import { ListingCollector } from '../../domain/fixed-location-listing.js';
import type { FixedLocationListing } from '../../domain/fixed-locations.js';

export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not inside an activity (benchmarks, tests) */
  }
}

/** Requests spaced to at most `perSecond` (0: no limit), shared by every caller of the returned function. */
export function pacer(perSecond: number): () => Promise<void> {
  if (!(perSecond > 0)) return async () => undefined;
  const p = new Pacer(perSecond);
  return () => p.take();
}

/**
 * Every AURA Fixed Location, page by page until an empty page or AURA's stated total (ListingCollector). An answer
 * that cannot be read as the list ends the listing with a `problem`; a transient failure (5xx, 429, connection)
 * throws, for Temporal to retry.
 */
export async function listAllFixedLocations(
  aura: AuraClient,
  pageSize: number,
  pace: () => Promise<void> = async () => undefined,
): Promise<FixedLocationListing> {
  const c = new ListingCollector();
  for (let page = 1; ; page++) {
    await pace();
    let r: Awaited<ReturnType<AuraClient['listFixedLocations']>>;
    try {
      r = await aura.listFixedLocations(page, pageSize);
    } catch (err) {
      if (!(err instanceof AuraResponseError)) throw err;
      c.fail(err.code === 'AURA_LISTING_INVALID' ? err.message : `${err.message} (page ${page})`);
      break;
    }
    heartbeat({ listed: page });
    if (c.add(r) === 'done') break;
  }
  return c.result();
}
