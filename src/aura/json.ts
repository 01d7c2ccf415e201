// JSON parsing for AURA deliveries. AURA's own documented SUBSCRIPTION_CANCELLED_FAILED payload carries a trailing
// comma (`{"id": 1231231231,}`), which strict JSON rejects. Trailing commas before `}` or `]` are the one leniency
// allowed here, because losing that event would be worse than accepting it; anything else malformed is refused.
//
// Before anything is parsed, one pass over the characters bounds the body's shape: how deeply it nests and how many
// items it holds. JSON.parse itself copes with deep nesting, but what runs after it does not (JSON.stringify, for
// content keys and ETAs, recurses and throws RangeError a few thousand levels down), and the work after parsing
// (schema validation, error details) grows with the number of items. AURA's documented payloads nest at most 7
// levels and hold a few hundred items; the limits leave ample room above that.

export interface JsonLimits {
  /** Deepest nesting of arrays and objects allowed (the top-level value is depth 1). */
  maxDepth: number;
  /** Most items allowed: array elements and object members, counted as containers plus commas. */
  maxItems: number;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = { maxDepth: 64, maxItems: 50_000 };

export type JsonParseResult =
  | { ok: true; value: unknown; lenient: boolean }
  | {
      ok: false;
      error: string;
      /** Set when the body was refused for its shape, before parsing. */ exceeded?: 'depth' | 'items';
    };

export function parseJsonLenient(text: string, limits: Readonly<JsonLimits> = DEFAULT_JSON_LIMITS): JsonParseResult {
  const exceeded = exceedsJsonLimits(text, limits);
  if (exceeded === 'depth') return { ok: false, exceeded, error: `nested deeper than ${limits.maxDepth} levels` };
  if (exceeded === 'items') return { ok: false, exceeded, error: `more than ${limits.maxItems} items` };
  try {
    return { ok: true, value: JSON.parse(text), lenient: false };
  } catch (err) {
    const stripped = stripTrailingCommas(text);
    if (stripped !== text) {
      try {
        return { ok: true, value: JSON.parse(stripped), lenient: true };
      } catch {
        // fall through to the original error
      }
    }
    return { ok: false, error: (err as Error).message };
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The first limit the text exceeds, or null: one pass, no allocation, stopping as soon as a limit is crossed.
 * Brackets and commas inside string literals do not count. Malformed text is not detected here (JSON.parse does
 * that); the scan only has to be an upper bound on the shape of anything JSON.parse would accept.
 */
export function exceedsJsonLimits(text: string, limits: Readonly<JsonLimits>): 'depth' | 'items' | null {
  let depth = 0;
  let items = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string literal: up to the next quote not escaped by a backslash.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.maxDepth) return 'depth';
      if (++items > limits.maxItems) return 'items';
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === COMMA) {
      if (++items > limits.maxItems) return 'items';
    }
  }
  return null;
}

/** Remove commas that directly precede `}` or `]` (ignoring whitespace), outside string literals. */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    if (ch === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] === '}' || text[j] === ']') continue;
    }
    out += ch;
  }
  return out;
}
