// The simulator's Fixed Locations (`predefinedLocations`): create, update, delete, paged list, get; the Fixed
// Location callout by external reference (unknown reference → 400 with the detail in `message`); and the bulk CSV
// import on the host root (`/v1/predefinedlocations/upload`, multipart field `locations`, HTTPS `callbackUrl`),
// processed asynchronously as a FULL SYNC (rows created or updated, every active Fixed Location missing from the
// file deleted) with the result POSTed to the callback. Choices where AURA's reference is silent are marked.
import { Readable } from 'node:stream';
import { isLoopbackHost } from '../../aura/webhook-registration.js';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parse as parseCsv } from 'csv-parse/sync';
import { CalloutStatus } from '../../domain/status.js';
import { FIXED_LOCATION_CSV_COLUMNS, csvField } from '../../domain/fixed-location-csv.js';
import { CUSTOMER_SOURCE_ID, RESPONSE_TYPES, type SimCallout } from '../data.js';
import { coord, nonBlank, type FixedLocationSimState, type ImportLogEntry, type SimFixedLocation } from '../state.js';

export interface FixedLocationSimContext {
  state: FixedLocationSimState;
  staticToken: string;
  tokens: Map<string, number>;
  allowLoopbackHttp: boolean;
  /** Delay before an import is processed and its callback sent (AURA processes imports asynchronously). */
  importDelayMs: number;
  /** Answer a location with an active callout with that callout (AURA does not document it for Fixed Locations). */
  calloutDedupe: boolean;
  newCallout(init: Partial<SimCallout> & { responseTypeId: number; latitude: number; longitude: number }): SimCallout;
  callouts(): Iterable<SimCallout>;
  flat(c: SimCallout): Record<string, unknown>;
}

function wire(f: SimFixedLocation) {
  return {
    id: f.id,
    customerId: f.customerId,
    customerSourceId: CUSTOMER_SOURCE_ID,
    externalReferenceId: f.externalReferenceId,
    locationIdentifier: f.locationIdentifier,
    locationDescription: f.locationDescription,
    locationAdditionalInformation: f.locationAdditionalInformation,
    formattedAddress: f.formattedAddress,
    latitude: f.latitude,
    longitude: f.longitude,
    w3w: f.w3w,
    calloutLocationTypeId: f.calloutLocationTypeId,
    calloutLocationTypeValue: null,
    calloutLocationTypeDescription: null,
    duressCode: f.duressCode,
    medicalCoverage: true,
    securityCoverage: true,
    inCoverageLastCheckedAt: f.updatedAt,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    // AURA's serialization artifact: literal dotted keys, null unless a location type is assigned.
    'calloutLocationType.id': null,
    'calloutLocationType.value': null,
    'calloutLocationType.description': null,
    'calloutLocationType.addressType': null,
    'calloutLocationType.createdAt': null,
    'calloutLocationType.updatedAt': null,
  };
}

export function mountFixedLocations(
  v2: Router,
  app: express.Express,
  ctx: FixedLocationSimContext,
): { state: FixedLocationSimState; control: Router } {
  const state = ctx.state;

  v2.post('/predefinedLocations', (req, res) => {
    const f = state.create((req.body ?? {}) as Record<string, unknown>);
    if (typeof f === 'string') return void res.status(400).json({ message: f });
    res.status(201).json(wire(f));
  });

  // Paging is not published: `page` (1-based) and `limit` (default 50, at most 500), sorted by id.
  v2.get('/predefinedLocations', (req, res) => {
    const page = Math.max(1, Number.parseInt(String(req.query.page ?? '1'), 10) || 1);
    const limit = Math.min(500, Math.max(1, Number.parseInt(String(req.query.limit ?? '50'), 10) || 50));
    const all = state.active();
    const items = all.slice((page - 1) * limit, page * limit).map(wire);
    res.json({
      message: 'Fixed locations retrieved',
      predefinedLocations: items,
      pagination: { page, limit, total: all.length, totalPages: Math.ceil(all.length / limit) },
    });
  });

  const locationOr404 = (req: Request, res: Response) => {
    const f = state.locations.get(Number(req.params.id));
    if (!f || f.deletedAt) {
      res.status(404).json({ message: 'Fixed location not found' });
      return undefined;
    }
    return f;
  };

  v2.get('/predefinedLocations/:id', (req, res) => {
    const f = locationOr404(req, res);
    if (f) res.json(wire(f));
  });

  v2.put('/predefinedLocations/:id', (req, res) => {
    const f = locationOr404(req, res);
    if (!f) return;
    const r = state.update(f, (req.body ?? {}) as Record<string, unknown>);
    if (typeof r === 'string') return void res.status(400).json({ message: r });
    res.json(wire(f));
  });

  v2.delete('/predefinedLocations/:id', (req, res) => {
    const f = locationOr404(req, res);
    if (!f) return;
    f.deletedAt = new Date().toISOString();
    res.json({ message: 'Fixed location deleted' });
  });

  v2.post('/predefinedLocations/externalRef/:externalReferenceId/callouts', (req, res) => {
    const ref = req.params.externalReferenceId!;
    const matches = state.byRef(ref);
    if (matches.length === 0)
      return void res.status(400).json({ message: `No fixed location found with externalReferenceId "${ref}"` });
    // AURA does not say what happens with a duplicated reference; the simulator refuses rather than guess.
    if (matches.length > 1)
      return void res.status(400).json({ message: `More than one fixed location has externalReferenceId "${ref}"` });
    const f = matches[0]!;
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (b.responseTypeId !== undefined && !RESPONSE_TYPES.some((r) => r.id === b.responseTypeId)) {
      return void res.status(400).json({ message: 'responseTypeId must be a valid response type' });
    }
    const installerIdentifier = typeof b.installerIdentifier === 'string' ? b.installerIdentifier : null;
    // As for customers: a location with an active callout gets that callout back (200), not a second one.
    for (const c of ctx.calloutDedupe ? ctx.callouts() : []) {
      if (c.predefinedLocationId === f.id && c.status !== CalloutStatus.Closed) {
        return void res.status(200).json({
          message: 'Fixed location already has an active callout',
          installerIdentifier,
          externalReferenceId: ref,
          callout: ctx.flat(c),
        });
      }
    }
    const c = ctx.newCallout({
      responseTypeId: (b.responseTypeId as number | undefined) ?? 1,
      calloutClassificationId: Number.isInteger(b.calloutClassificationId) ? (b.calloutClassificationId as number) : 1,
      internalTest: b.internalTest === true,
      latitude: Number(f.latitude),
      longitude: Number(f.longitude),
      formattedAddress: f.formattedAddress,
      predefinedLocationId: f.id,
      siteExternalRefId: ref,
    });
    res
      .status(201)
      .json({ message: 'Callout created', installerIdentifier, externalReferenceId: ref, callout: ctx.flat(c) });
  });

  // ---- CSV import and export on the host root (no /panic-api prefix, v1) ----------------------------------------

  const auth = (req: Request, res: Response, next: NextFunction) => {
    const h = req.get('authorization');
    const token = h?.replace(/^Bearer\s+/i, '').trim();
    if (!h || !token) return void res.status(401).json({ errors: 'No authorization token was found' });
    const exp = ctx.tokens.get(token);
    if (token !== ctx.staticToken && (exp === undefined || exp < Date.now()))
      return void res.status(401).json({ errors: 'invalid token' });
    next();
  };

  app.post('/v1/predefinedlocations/upload', auth, async (req, res) => {
    let form: FormData;
    try {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      form = await new Request('http://sim.local/upload', {
        method: 'POST',
        headers,
        body: Readable.toWeb(req) as ReadableStream,
        duplex: 'half',
      } as RequestInit).formData();
    } catch {
      return void res.status(400).json({ message: 'The request must be multipart/form-data with a "locations" file' });
    }
    const file = form.get('locations');
    const callbackUrl = form.get('callbackUrl');
    if (!file || typeof file === 'string')
      return void res.status(400).json({ message: 'The "locations" file is required' });
    let url: URL | null;
    try {
      url = typeof callbackUrl === 'string' ? new URL(callbackUrl) : null;
    } catch {
      url = null;
    }
    const httpsOk =
      url &&
      (url.protocol === 'https:' ||
        (ctx.allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname)));
    if (!url || !httpsOk)
      return void res.status(400).json({ message: 'callbackUrl is required and must be an HTTPS URL' });
    const delimiter =
      typeof form.get('delimiter') === 'string' && (form.get('delimiter') as string).length > 0
        ? (form.get('delimiter') as string)
        : ',';
    const source = typeof form.get('source') === 'string' ? (form.get('source') as string) : null;
    const text = await (file as Blob).text();
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(text, { columns: true, skip_empty_lines: true, delimiter, bom: true, relax_column_count: true });
    } catch (err) {
      return void res.status(400).json({ message: `The CSV could not be read: ${(err as Error).message}` });
    }
    const entry: ImportLogEntry = {
      at: new Date().toISOString(),
      rows: rows.length,
      callbackUrl: url.toString(),
      source,
    };
    state.imports.push(entry);
    res.json({
      message:
        'Fixed locations file received; the import is processed asynchronously and its result sent to the callbackUrl',
    });
    setTimeout(() => void processImport(rows, entry), ctx.importDelayMs).unref();
  });

  async function processImport(rows: Record<string, string>[], entry: ImportLogEntry): Promise<void> {
    const inFile = new Set<string>();
    const errors: { row: number; externalReferenceId: string | null; message: string }[] = [];
    let created = 0;
    let updated = 0;
    let deleted = 0;
    const valid: Record<string, string>[] = [];
    rows.forEach((r, i) => {
      const ref = nonBlank(r.externalReferenceId);
      if (ref) inFile.add(ref);
      if (
        !ref ||
        !nonBlank(r.locationIdentifier) ||
        coord(r.latitude, 90) === null ||
        coord(r.longitude, 180) === null
      ) {
        errors.push({
          row: i + 2,
          externalReferenceId: ref,
          message: 'externalReferenceId, locationIdentifier, latitude and longitude are required',
        });
      } else valid.push(r);
    });
    const now = new Date().toISOString();
    // Full sync: every active Fixed Location of the source missing from the file is deleted.
    // A Fixed Location without a reference matches no row, so the full sync deletes it too.
    for (const f of state.active()) {
      if (f.externalReferenceId === null || !inFile.has(f.externalReferenceId)) {
        f.deletedAt = now;
        deleted++;
      }
    }
    const byRef = new Map<string, SimFixedLocation[]>();
    for (const f of state.active()) {
      if (f.externalReferenceId === null) continue;
      const g = byRef.get(f.externalReferenceId);
      if (g) g.push(f);
      else byRef.set(f.externalReferenceId, [f]);
    }
    for (const r of valid) {
      const existing = byRef.get(r.externalReferenceId!);
      if (!existing) {
        const f = state.create(r);
        if (typeof f !== 'string') {
          created++;
          byRef.set(r.externalReferenceId!, [f]);
        }
      } else {
        for (const f of existing) if (state.update(f, r) === true) updated++;
      }
    }
    entry.result = { created, updated, deleted, failed: errors.length };
    try {
      const res = await fetch(entry.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          message: 'Fixed location import completed',
          status: errors.length ? 'COMPLETED_WITH_ERRORS' : 'COMPLETED',
          source: entry.source,
          ...entry.result,
          errors: errors.slice(0, 100),
        }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      entry.callbackStatus = res.status;
    } catch {
      entry.callbackStatus = 'failed'; // attempted once, as AURA's webhooks are
    }
  }

  app.get('/v1/predefinedlocations/download', auth, (_req, res) => {
    const lines = [FIXED_LOCATION_CSV_COLUMNS.join(',')];
    for (const f of state.active()) {
      lines.push(
        [
          f.externalReferenceId ?? '',
          f.locationIdentifier,
          f.locationDescription ?? '',
          f.formattedAddress ?? '',
          f.latitude,
          f.longitude,
        ]
          .map(csvField)
          .join(','),
      );
    }
    res.type('text/csv').send(lines.join('\n') + '\n');
  });

  // ---- control routes -------------------------------------------------------------------------------------------
  const control = express.Router();
  control.get('/fixed-locations', (_req, res) => void res.json(state.active().map(wire)));
  // A Fixed Location made outside the Panic API (AURA's portal, another integration): externalReferenceId optional.
  control.post('/fixed-locations', (req, res) => {
    const f = state.create((req.body ?? {}) as Record<string, unknown>, { unreferenced: true });
    if (typeof f === 'string') return void res.status(400).json({ message: f });
    res.status(201).json(wire(f));
  });
  control.get('/fixed-location-imports', (_req, res) => void res.json(state.imports));
  return { state, control };
}
