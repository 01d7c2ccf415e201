// The Panic API's authentication: the token exchange (`POST /v2/oauth/token`, client credentials → a bearer token
// valid `tokenTtlSeconds`), and the bearer check every other Panic API route sits behind (the static token too).
import { randomBytes } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { SimContext } from '../context.js';

const NO_TOKEN = { errors: 'No authorization token was found' };

export function tokenRouter({ state, config }: SimContext): Router {
  const router = Router();
  router.post('/oauth/token', (req, res) => {
    const { clientId: id, clientSecret: secret } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof secret !== 'string')
      return void res.status(400).json({ message: 'clientId and clientSecret are required' });
    if (id !== config.clientId || secret !== config.clientSecret)
      return void res.status(401).json({ errors: 'Invalid client credentials' });
    const token = `sim_${randomBytes(18).toString('base64url')}`;
    state.tokens.set(token, Date.now() + config.tokenTtlSeconds * 1000);
    res.json({ accessToken: token, tokenType: 'Bearer', expiresIn: config.tokenTtlSeconds });
  });
  return router;
}

/** 401 with AURA's bodies unless the request carries a valid, unexpired token. */
export function requireToken({ state, config }: SimContext): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    if (!header || !/^Bearer\s+\S+/i.test(header)) return void res.status(401).json(NO_TOKEN);
    const token = header.replace(/^Bearer\s+/i, '').trim();
    if (token === config.staticToken) return next();
    const exp = state.tokens.get(token);
    if (exp === undefined) return void res.status(401).json({ errors: 'invalid token' });
    if (exp < Date.now()) return void res.status(401).json({ errors: 'jwt expired' });
    next();
  };
}
