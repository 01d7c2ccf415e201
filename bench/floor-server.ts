// The floor of the intake benchmark: a bare Express route that answers 200, in its own process like the service.
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
app.post('/webhooks/aura', (_req, res) => void res.status(200).json({ status: 'accepted' }));
app.listen(Number(process.env.FLOOR_PORT ?? 0), '127.0.0.1');
