// Temporal's environment configuration (@temporalio/envconfig), as the Temporal CLI and SDKs read it: the variables
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TEMPORAL_TLS_* as before, plus a profile from a TOML file
// (`[profile.<name>]` with address, namespace, api_key, tls, grpc_meta), the variables overriding the profile.
// A file is read only when TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE is set (TEMPORAL_PROFILE alone: the default
// file, $XDG_CONFIG_HOME/temporalio/temporal.toml or ~/.config/temporalio/temporal.toml), so a process configured by
// variables alone behaves exactly as before.
import { existsSync } from 'node:fs';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** The variables handed to envconfig (and those it needs to find the default file). */
const PASSED = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'HOME',
  'XDG_CONFIG_HOME',
  'APPDATA',
] as const;

export type TemporalVars = Partial<Record<(typeof PASSED)[number], string | boolean | undefined>>;

export class TemporalProfileError extends Error {
  constructor(
    readonly variable: 'TEMPORAL_PROFILE' | 'TEMPORAL_CONFIG_FILE',
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'TemporalProfileError';
  }
}

/** Whether a profile file is in use. */
export function usesTemporalProfile(vars: TemporalVars): boolean {
  return Boolean(vars.TEMPORAL_CONFIG_FILE || vars.TEMPORAL_PROFILE);
}

/** The profile (file, then variables over it), or the variables alone when no file is configured. */
export function loadTemporalProfile(vars: TemporalVars): ClientConfigProfile {
  const overrideEnvVars: Record<string, string> = {};
  for (const key of PASSED) {
    const v = vars[key];
    if (v === undefined || v === '') continue;
    // envconfig reads only "true"/"1" as true; the schema also accepts yes/no.
    overrideEnvVars[key] =
      key === 'TEMPORAL_TLS' ? String(v === true || v === 'true' || v === '1' || v === 'yes') : String(v);
  }
  const file = overrideEnvVars.TEMPORAL_CONFIG_FILE;
  if (file && !existsSync(file)) throw new TemporalProfileError('TEMPORAL_CONFIG_FILE', `${file} does not exist`);
  const profile = overrideEnvVars.TEMPORAL_PROFILE;
  try {
    return loadClientConfigProfile({
      disableFile: !usesTemporalProfile(vars),
      overrideEnvVars,
      ...(profile ? { profile } : {}),
      ...(file ? { configSource: { path: file } } : {}),
    });
  } catch (err) {
    const message = (err as Error).message;
    if (profile && /not found/i.test(message)) {
      throw new TemporalProfileError(
        'TEMPORAL_PROFILE',
        `no profile "${profile}" in ${file ?? 'the default Temporal config file'}`,
      );
    }
    throw new TemporalProfileError(
      'TEMPORAL_CONFIG_FILE',
      `${file ?? 'the default Temporal config file'} could not be read (${message})`,
    );
  }
}

/** Connection options (address, TLS, API key, gRPC metadata) for Connection.connect and NativeConnection.connect. */
export function temporalConnectionOptions(
  vars: TemporalVars & { TEMPORAL_ADDRESS: string },
): Pick<NativeConnectionOptions, 'address' | 'tls' | 'apiKey' | 'metadata'> {
  const { connectionOptions: o } = toClientOptions(loadTemporalProfile(vars));
  return {
    address: vars.TEMPORAL_ADDRESS,
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    ...(o.metadata && Object.keys(o.metadata).length ? { metadata: o.metadata } : {}),
  };
}
