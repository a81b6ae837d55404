/**
 * Backends for dashboard tests: health servers on several 127.x addresses
 * sharing one port, the way a DNS name with several addresses looks.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthServer } from '../../src/index.js';

/** One health server on one address. */
export interface FleetBackend {
  host: string;
  address: string;
  health: HealthServer;
  server: grpc.Server;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
}

/** Starts one health server per host, all on the same (free) port; retries when the port is taken on a later host. */
export async function startFleet(
  hosts: readonly string[],
  setup: (health: HealthServer) => void = () => {},
): Promise<{ port: number; backends: FleetBackend[]; stop(): void }> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const backends: FleetBackend[] = [];
    try {
      let port = 0;
      for (const host of hosts) {
        const health = new HealthServer();
        setup(health);
        const server = new grpc.Server();
        health.addToServer(server);
        backends.push({ host, address: '', health, server });
        port = await bind(server, `${host}:${port}`);
        backends.at(-1)!.address = `${host}:${port}`;
      }
      return { port, backends, stop: () => backends.forEach((b) => b.server.forceShutdown()) };
    } catch {
      backends.forEach((b) => b.server.forceShutdown());
    }
  }
  throw new Error(`no port free on all of ${hosts.join(', ')}`);
}
