// Route faults (contract §5): rules that make the simulator answer like an AURA that differs from its reference.
// A rule matches a method and a path pattern and answers a status with a body, or a connection fault, for a number
// of requests (`times`) or a share of them (`rate`). Pure: parsing and matching here, the HTTP side in faults.ts.

export type ConnectionFaultKind = 'reset' | 'timeout' | 'lost';

export interface RouteFaultRule {
  method: string;
  path: string;
  status?: number;
  body?: unknown;
  kind?: ConnectionFaultKind;
  times?: number;
  rate?: number;
}

export interface RouteFaultReport extends RouteFaultRule {
  hits: number;
}

export const DEFAULT_ROUTE_FAULT_BODY = { message: 'Injected route fault' };

const KINDS: readonly ConnectionFaultKind[] = ['reset', 'timeout', 'lost'];

/** `*` matches any characters within one segment, `**` any number of whole segments (also none). */
export function pathPattern(pattern: string): RegExp {
  const segments = pattern.split('/');
  let re = '';
  segments.forEach((seg, i) => {
    if (seg === '**') {
      // Any number of segments, including none: swallow this separator with them.
      re += i === 0 ? '(?:[^/]*(?:/[^/]*)*)?' : '(?:/[^/]*)*';
      return;
    }
    const body = seg
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    re += (i === 0 ? '' : '/') + body;
  });
  return new RegExp(`^${re}$`);
}

/** Validate the `routes` of a `PUT /__sim/faults` body. Throws an Error naming the offending field. */
export function parseRouteFaults(raw: unknown): RouteFaultRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error('routes must be an array');
  return raw.map((r, i) => {
    const at = `routes[${i}]`;
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new Error(`${at} must be an object`);
    const o = r as Record<string, unknown>;
    if (typeof o.method !== 'string' || !/^(\*|[A-Za-z]+)$/.test(o.method))
      throw new Error(`${at}.method must be an HTTP method or "*"`);
    if (typeof o.path !== 'string' || !o.path.startsWith('/'))
      throw new Error(`${at}.path must be a path pattern starting with "/"`);
    const rule: RouteFaultRule = { method: o.method.toUpperCase(), path: o.path };
    if (o.kind !== undefined) {
      if (!KINDS.includes(o.kind as ConnectionFaultKind))
        throw new Error(`${at}.kind must be one of ${KINDS.join(', ')}`);
      rule.kind = o.kind as ConnectionFaultKind;
    }
    if (o.status !== undefined) {
      if (!Number.isInteger(o.status) || (o.status as number) < 200 || (o.status as number) > 599)
        throw new Error(`${at}.status must be an HTTP status (200-599)`);
      rule.status = o.status as number;
    }
    if (rule.kind === undefined && rule.status === undefined) throw new Error(`${at} needs a status or a kind`);
    if (rule.kind !== undefined && rule.status !== undefined)
      throw new Error(`${at} takes a status or a kind, not both`);
    if (o.body !== undefined) rule.body = o.body;
    if (o.times !== undefined) {
      if (!Number.isInteger(o.times) || (o.times as number) < 0)
        throw new Error(`${at}.times must be a non-negative integer`);
      rule.times = o.times as number;
    }
    if (o.rate !== undefined) {
      if (typeof o.rate !== 'number' || !(o.rate >= 0 && o.rate <= 1))
        throw new Error(`${at}.rate must be between 0 and 1`);
      rule.rate = o.rate;
    }
    return rule;
  });
}

interface CompiledRule {
  rule: RouteFaultRule;
  re: RegExp;
  hits: number;
}

/** The active rules with their hit counts. */
export class RouteFaults {
  private rules: CompiledRule[] = [];

  set(rules: RouteFaultRule[]): void {
    this.rules = rules.map((rule) => ({ rule, re: pathPattern(rule.path), hits: 0 }));
  }

  /**
   * The rule that applies to this request, counted as a hit, or null. A rule applies when its method and path
   * match, it has hits left (`times`) and the draw falls within its `rate`; the first such rule wins.
   */
  match(method: string, path: string, random: () => number): RouteFaultRule | null {
    for (const r of this.rules) {
      if (r.rule.method !== '*' && r.rule.method !== method.toUpperCase()) continue;
      if (!r.re.test(path)) continue;
      if (r.rule.times !== undefined && r.hits >= r.rule.times) continue;
      if (r.rule.rate !== undefined && r.rule.rate < 1 && !(random() < r.rule.rate)) continue;
      r.hits++;
      return r.rule;
    }
    return null;
  }

  report(): RouteFaultReport[] {
    return this.rules.map((r) => ({ ...r.rule, hits: r.hits }));
  }
}
