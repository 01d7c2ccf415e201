// Methods per path, from the app's own OpenAPI document (the one /openapi.json serves), so that the document and
// the answers cannot drift: a documented path asked with a method it does not serve answers 405 with `Allow`,
// OPTIONS on a documented path answers 204 with the same `Allow`, and any other path stays 404. HEAD follows GET
// (Express serves HEAD with the GET handler); OPTIONS is served everywhere.
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from './errors.js';
import { HTTP_METHODS } from './openapi.js';

interface PathMethods {
  template: string;
  regex: RegExp;
  /** The Allow header's value. */
  allow: string;
  methods: ReadonlySet<string>;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `/v1/callouts/{incidentId}` → a regex as Express matches the route: case-insensitive, an optional trailing slash,
 * a parameter being one non-empty segment.
 */
function pathRegex(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : escapeRegex(part)))
    .join('');
  return new RegExp(`^${source}/?$`, 'i');
}

/** The methods a document serves on each path, HEAD wherever GET is and OPTIONS everywhere. */
export function methodsByPath(doc: { paths?: Record<string, object> }): PathMethods[] {
  return Object.entries(doc.paths ?? {}).map(([template, item]) => {
    const documented = new Set(Object.keys(item).map((m) => m.toUpperCase()));
    if (documented.has('GET')) documented.add('HEAD');
    documented.add('OPTIONS');
    const methods = HTTP_METHODS.filter((m) => documented.has(m));
    return { template, regex: pathRegex(template), allow: methods.join(', '), methods: new Set(methods) };
  });
}

export interface MethodHandlers {
  /** Before the routers: OPTIONS on a documented path (and not Express's own answer, which knows only one router). */
  options: (req: Request, res: Response, next: NextFunction) => void;
  /** After the routers, before the 404: a documented path that no route answered for this method. */
  notAllowed: (req: Request, res: Response, next: NextFunction) => void;
}

export function createMethodHandlers(doc: { paths?: Record<string, object> }): MethodHandlers {
  const paths = methodsByPath(doc);
  // A literal path wins over a template that also matches it (as /sync/latest over /sync/{id} would).
  const find = (path: string) =>
    paths.find((p) => !p.template.includes('{') && p.regex.test(path)) ?? paths.find((p) => p.regex.test(path));
  return {
    options(req, res, next) {
      if (req.method !== 'OPTIONS') return next();
      const p = find(req.path);
      if (!p) return next();
      res.setHeader('allow', p.allow);
      res.status(204).end();
    },
    notAllowed(req, res, next) {
      const p = find(req.path);
      // A documented method that reached this point has no route in this app: not found, as any unknown route.
      if (!p || p.methods.has(req.method)) return next();
      res.setHeader('allow', p.allow);
      res
        .status(405)
        .json(errorBody('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${p.allow}.`));
    },
  };
}
