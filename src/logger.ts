// Structured logs (pino). Secrets and customers' personal data never reach a log line: known paths are redacted,
// and request/response bodies are not logged at all.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-webhook-token"]',
  'headers.authorization',
  'authorization',
  'clientSecret',
  'accessToken',
  'token',
  'safeCode',
  '*.clientSecret',
  '*.accessToken',
  '*.safeCode',
  '*.mobile',
  '*.email',
  '*.medicalConditions',
  '*.medications',
  '*.allergies',
  '*.medicalAidNumber',
  '*.medicalAidScheme',
  '*.nextOfKinName',
  '*.nextOfKinNumber',
  '*.familyDoctorPhoneNumber',
  '*.medicalOther',
  'customer',
  '*.customer',
  'req.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.dateOfBirth',
  '*.idNumber',
  '*.vehicleLicensePlate',
];

export function createLogger(
  opts: { level?: string; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: opts.name ?? 'aura-callouts',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

export type { Logger };
