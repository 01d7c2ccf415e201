// JSON parsing for AURA deliveries. AURA's own documented SUBSCRIPTION_CANCELLED_FAILED payload carries a trailing
// comma (`{"id": 1231231231,}`), which strict JSON rejects. Trailing commas before `}` or `]` are the one leniency
// allowed here, because losing that event would be worse than accepting it; anything else malformed is refused.

export type JsonParseResult = { ok: true; value: unknown; lenient: boolean } | { ok: false; error: string };

export function parseJsonLenient(text: string): JsonParseResult {
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
