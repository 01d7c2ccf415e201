// One Panic API endpoint, declared once (after stripe-node's `stripeMethod({method, fullPath})`): its method and path,
// the schema of its answer, the statuses besides HTTP's 2xx that are answers for it (each with its own schema), and
// whether it creates. `endpoint(spec)` returns a typed function over the transport that routes, sends and reads.
import { z } from 'zod';
import { AuraCreateUnconfirmedError, AuraResponseError } from './errors.js';
import { readAnswer, type AuraTransport, type CallOptions, type HttpMethod, type RawResponse } from './transport.js';

/** The `:name` segments of a path template. */
type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

export type EndpointInput<P extends string> = ([ParamNames<P>] extends [never]
  ? { params?: undefined }
  : { params: Record<ParamNames<P>, string | number> }) & {
  query?: Record<string, string | number> | undefined;
  body?: unknown;
  form?: FormData | undefined;
};

export interface EndpointSpec<P extends string, R extends z.ZodType, A extends Record<number, z.ZodType>> {
  method: HttpMethod;
  /** Under /panic-api (or the host root with `root`), with `:name` for ids; `${method} ${path}` is the route label. */
  path: P;
  /** The schema of a 2xx answer; without one, the body is returned unread. */
  response?: R;
  /** Statuses besides HTTP's 2xx that are answers for this endpoint (not errors), each read with its own schema. */
  answers?: A;
  /**
   * A create: a 2xx answer that cannot be read means the entity probably exists (AuraCreateUnconfirmedError, retryable
   * only through a lookup). Failing here would abandon a live callout; creating again blindly could make a second one.
   */
  create?: boolean;
  /**
   * Someone waits on it (a create and the lookups around it, a cancellation, a note): it goes ahead of polls in the
   * pacer's queue (src/aura/pacer.ts).
   */
  urgent?: boolean;
  /** On the host root, outside /panic-api. */
  root?: boolean;
  /** A check of the answer before its schema reads it, for an error more precise than a shape mismatch. */
  check?: (res: RawResponse, route: string, input: EndpointInput<P>) => void;
}

type Output<R extends z.ZodType, A extends Record<number, z.ZodType>> =
  z.output<R> | { [K in keyof A]: z.output<A[K]> }[keyof A];

export interface Reply<T> {
  status: number;
  data: T;
  requestId: string | undefined;
}

export type Endpoint<P extends string, T> = (
  transport: AuraTransport,
  input: EndpointInput<P>,
  call?: CallOptions,
) => Promise<Reply<T>>;

/** A schema that never fails: the body read with `schema`, or null when it does not fit (answers we can do without). */
export function orNull<T extends z.ZodType>(schema: T) {
  return z.unknown().transform((body): z.output<T> | null => {
    const r = schema.safeParse(body);
    return r.success ? r.data : null;
  });
}

function fill(
  path: string,
  params: Record<string, string | number> | undefined,
  query: Record<string, string | number> | undefined,
): string {
  const filled = path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(params?.[name])));
  if (!query) return filled;
  return `${filled}?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`;
}

export function endpoint<
  const P extends string,
  R extends z.ZodType = z.ZodUnknown,
  A extends Record<number, z.ZodType> = Record<never, never>,
>(spec: EndpointSpec<P, R, A>): Endpoint<P, Output<R, A>> {
  const route = `${spec.method} ${spec.path}`;
  const answers: Record<number, z.ZodType> = spec.answers ?? {};
  const accept = Object.keys(answers).map(Number);
  return async (transport, input, call = {}) => {
    const res = await transport.send({
      method: spec.method,
      path: fill(spec.path, input.params, input.query),
      route,
      body: input.body,
      form: input.form,
      root: spec.root,
      urgent: spec.urgent,
      accept,
      ...call,
    });
    spec.check?.(res, route, input);
    const schema = answers[res.status] ?? spec.response;
    const data = (schema ? read(schema, res, route, spec.create === true) : res.body) as Output<R, A>;
    return { status: res.status, data, requestId: res.requestId };
  };
}

function read(schema: z.ZodType, res: RawResponse, route: string, create: boolean): unknown {
  try {
    return readAnswer(schema, res, route);
  } catch (err) {
    if (!create || !(err instanceof AuraResponseError)) throw err;
    throw new AuraCreateUnconfirmedError({
      status: res.status,
      message:
        `AURA answered ${res.status} to ${route} in a shape we do not understand, so the callout ` +
        `probably exists: look it up before creating again (${err.message})`,
      code: 'AURA_CREATE_UNCONFIRMED',
      ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
      cause: err,
    });
  }
}
