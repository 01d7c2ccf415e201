// Request schemas of the intake API. The same schemas validate requests and generate the OpenAPI document, so a
// rule the document cannot see is a rule the document gets wrong: cross-field rules are declared with the helpers
// below, which add both the check and its JSON Schema form (`oneOf`, `not`), and text that is trimmed is declared
// non-blank by a pattern rather than by a length the raw string would meet.
import { z } from 'zod';

/** Safe integers only (zod's `.int()`), bounds in the document too. */
export const SafeInt = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
export const PositiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * Text that is trimmed and must not be blank: at most `max` characters as sent, at least one that is not
 * whitespace (the document's pattern says so; `minLength: 1` would admit "   ").
 */
export const nonBlank = (max: number) => z.string().max(max).regex(/\S/, 'must not be blank').trim();

/** Text that is trimmed, possibly empty: at most `max` characters as sent. */
export const trimmedText = (max: number) => z.string().max(max).trim();

/** JS's `\d` is [0-9]; other regex dialects (the fuzzers') read it as any Unicode digit: the document spells it out. */
export const asciiDigits = (source: string) => source.replace(/\\d/g, '[0-9]');

/** A string format zod checks by a regex (email, ISO date-time): that regex in the document, beside `format`. */
export function withFormatPattern<T extends z.ZodString | z.ZodStringFormat>(schema: T): T {
  const pattern = (schema as unknown as { _zod: { def: { pattern?: RegExp } } })._zod.def.pattern;
  return pattern ? (schema.meta({ pattern: asciiDigits(pattern.source) }) as T) : schema;
}

type ObjectShape = Record<string, unknown>;

/** Exactly one of `keys` is present: a check naming each key, and `oneOf` in the document. */
export function exactlyOneOf<T extends z.ZodType<ObjectShape>>(
  schema: T,
  keys: string[],
  messages: { none: string; both: string },
) {
  return schema
    .superRefine((b, ctx) => {
      const present = keys.filter((k) => (b as ObjectShape)[k] !== undefined);
      if (present.length === 1) return;
      const message = present.length ? messages.both : messages.none;
      for (const k of keys) ctx.addIssue({ code: 'custom', path: [k], message });
    })
    .meta({ oneOf: keys.map((k) => ({ required: [k] })) } as never);
}

/** At most one of `keys` is present: a check naming each key, and `not: {required: keys}` in the document. */
export function notBoth<T extends z.ZodType<ObjectShape>>(
  schema: T,
  keys: [string, string],
  message: string,
  report: string[] = keys,
) {
  return schema
    .superRefine((b, ctx) => {
      if (keys.every((k) => (b as ObjectShape)[k] !== undefined))
        for (const k of report) ctx.addIssue({ code: 'custom', path: [k], message });
    })
    .meta({ not: { required: keys } } as never);
}

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A response type name: one of the configured names (SECURITY, …), in any letter case, as a pattern the document
 * carries (`^(?:[Ss][Ee]…|…)$`), so a name the service does not know is refused by the schema, not after it.
 */
export function responseTypeName(responseTypes: Record<string, number>) {
  const names = Object.keys(responseTypes);
  const anyCase = (name: string) =>
    [...name]
      .map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : regexEscape(c)))
      .join('');
  const pattern = names.length ? `^(?:${names.map(anyCase).join('|')})$` : '^(?!)$';
  return z
    .string()
    .regex(new RegExp(pattern), `unknown response type; configured: ${names.join(', ')}`)
    .meta({ description: `A configured response type name, in any letter case: ${names.join(', ')}` });
}

export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);

export const LiveLocation = z.object({
  latitude: Latitude,
  longitude: Longitude,
  accuracy: z.number().min(0).max(100_000).optional(),
});

export const IncidentIdParam = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only, starting with a letter or digit');

/** The body of POST /v1/callouts: the response type names are the app's configured ones. */
export function createCalloutBody(responseTypes: Record<string, number>) {
  const fields = z
    .object({
      incidentId: IncidentIdParam.optional(),
      customerId: PositiveId,
      responseType: responseTypeName(responseTypes).optional(),
      responseTypeId: PositiveId.optional(),
      location: LiveLocation.optional(),
      predefinedLocationId: PositiveId.optional(),
      notes: z.string().max(2000).optional(),
      test: z.boolean().optional(),
    })
    .strict();
  return notBoth(
    exactlyOneOf(fields, ['location', 'predefinedLocationId'], {
      none: 'one of location and predefinedLocationId is required',
      both: 'give either location or predefinedLocationId, not both',
    }),
    ['responseType', 'responseTypeId'],
    'give either responseType or responseTypeId, not both',
    ['responseTypeId'],
  );
}
export type CreateCalloutBody = z.output<ReturnType<typeof createCalloutBody>>;

/**
 * An integer query parameter: its text is an integer literal (not "", " 5", "1e1" or "0x10", which a plain coercion
 * would read as numbers), within [min, max]; `dflt` when absent. The document says `integer` with the bounds.
 */
export const queryInt = (min: number, max: number, dflt: number) =>
  z
    .string()
    .regex(/^-?[0-9]+$/, 'an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(dflt)
    .meta({ type: 'integer', minimum: min, maximum: max, default: dflt, pattern: undefined } as never);

export const ListCalloutsQuery = z.object({
  status: z.enum(['active', 'closed', 'all']).default('active'),
  limit: queryInt(1, 500, 50),
});

export const LocationBody = LiveLocation.strict();

export const NoteBody = z.object({ text: nonBlank(2000), author: nonBlank(100).optional() }).strict();

const CANCEL_EXCLUSIVE = 'give safeCode (customer cancellation) or reasons (integration cancellation), not both';
export const CancelBody = notBoth(
  z
    .object({
      safeCode: z
        .string()
        .regex(/^[0-9]{4}$/, "the last four digits of the customer's mobile number")
        .optional(),
      reasons: z.array(nonBlank(200)).max(10).optional(),
    })
    .strict(),
  ['safeCode', 'reasons'],
  CANCEL_EXCLUSIVE,
);

export const RatingBody = z
  .object({ rating: z.number().int().min(1).max(5), comment: trimmedText(2000).optional() })
  .strict();
