// temporal-server's ports and configuration file on a PostgreSQL cluster (compose's `temporal` service).
import { createServer } from 'node:net';
import type { PostgresCluster } from './cluster.js';

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports for the server's services, all below 32768: Temporal's PostgreSQL schema keeps each member's port in a
 * SMALLINT (cluster_membership.rpc_port), so a port from the kernel's ephemeral range (32768-60999 on Linux) makes
 * the server die at start ("value is out of range for type smallint"). That range is also where other programs'
 * ports come from, so this one collides less.
 */
export async function freeServerPorts(host = '127.0.0.1'): Promise<ServerPorts> {
  const names: (keyof ServerPorts)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
    'metrics',
  ];
  const ports = {} as ServerPorts;
  const taken = new Set<number>();
  for (const name of names) {
    for (let tries = 0; ; tries++) {
      if (tries > 500) throw new Error('no free port between 20000 and 32767');
      const p = 20_000 + Math.floor(Math.random() * 12_768);
      if (taken.has(p) || !(await canListen(host, p))) continue;
      taken.add(p);
      ports[name] = p;
      break;
    }
  }
  return ports;
}

/**
 * The server's configuration: the module's config/development-postgres12.yaml with this run's addresses and ports,
 * the PostgreSQL cluster's user and password, archival off, and compose's dynamic config. Written as JSON, which
 * YAML reads as it is.
 */
export function serverConfig(opts: {
  host: string;
  ports: ServerPorts;
  pg: Pick<PostgresCluster, 'host' | 'port' | 'user' | 'password'>;
  dynamicConfigFile: string;
  logLevel: string;
}) {
  const { host, ports, pg } = opts;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: opts.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 2) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: host },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${host}:${ports.metrics}` },
      },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      matching: rpc(ports.matching, ports.matchingMembership),
      history: rpc(ports.history, ports.historyMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${host}:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
}
