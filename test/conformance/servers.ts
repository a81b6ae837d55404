/**
 * The servers the conformance suite runs against: one factory per adapter.
 *
 * A factory starts a real server on 127.0.0.1, port 0, serving `health` through
 * its adapter, and says which protocols it speaks. To add an adapter, write a
 * factory and add it to {@link SERVERS}.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createServer as createNiceServer } from 'nice-grpc';
import { addHealthService } from '../../src/adapters/connect/index.js';
import { HealthDefinition, niceHealth } from '../../src/adapters/nice-grpc/index.js';
import { HealthServer, type HealthServerOptions } from '../../src/index.js';
import { startServer } from '../helpers.js';

/** A wire protocol a client speaks. */
export type Protocol = 'grpc' | 'connect' | 'grpc-web';

/** A running server under test. */
export interface ServerUnderTest {
  /** The health core behind it: tests drive statuses here. */
  health: HealthServer;
  /** `host:port` for each protocol it serves (HTTP/2 for gRPC and Connect, HTTP/1.1 for gRPC-Web). */
  addresses: Partial<Record<Protocol, string>>;
  /** Stops gracefully: no new calls, resolves once every open call has ended. */
  stop(): Promise<void>;
  /** Stops at once; safe to call twice, and after `stop`. */
  forceStop(): void;
}

/** Starts a server of one adapter around a fresh `HealthServer`. */
export type ServerFactory = (health: HealthServer) => Promise<ServerUnderTest>;

/** One adapter: how to start it and which protocols to test it with. */
export interface AdapterUnderTest {
  start: ServerFactory;
  protocols: readonly Protocol[];
}

/** grpc-js: `health.addToServer(server)`. */
const grpcJs: ServerFactory = async (health) => {
  const running = await startServer((server) => health.addToServer(server));
  return {
    health,
    addresses: { grpc: running.address },
    stop: () => new Promise<void>((resolve) => running.server.tryShutdown(() => resolve())),
    forceStop: () => running.stop(),
  };
};

async function listen(server: http.Server | http2.Http2Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Connect-ES: one `connectNodeAdapter` handler behind an HTTP/2 server (gRPC and
 * Connect) and an HTTP/1.1 server (gRPC-Web from `fetch`, which speaks no h2c).
 */
const connect: ServerFactory = async (health) => {
  const handler = connectNodeAdapter({ routes: (router) => addHealthService(router, health) });
  const h2 = http2.createServer(handler);
  const h1 = http.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const [h2Address, h1Address] = await Promise.all([listen(h2), listen(h1)]);
  const closed = (server: http.Server | http2.Http2Server) => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    health,
    addresses: { grpc: h2Address, connect: h2Address, 'grpc-web': h1Address },
    async stop() {
      const done = Promise.all([closed(h2), closed(h1)]);
      // Graceful: each session and connection ends once its open streams have.
      for (const session of sessions) session.close();
      // A keep-alive connection becomes idle when its last call ends: close it then.
      const sweep = setInterval(() => h1.closeIdleConnections(), 10);
      try {
        await done;
      } finally {
        clearInterval(sweep);
      }
    },
    forceStop() {
      for (const session of sessions) session.destroy();
      h1.closeAllConnections();
      h2.close();
      h1.close();
    },
  };
};

/** nice-grpc: `server.add(HealthDefinition, niceHealth(health))`. */
const niceGrpc: ServerFactory = async (health) => {
  const server = createNiceServer();
  server.add(HealthDefinition, niceHealth(health));
  const port = await server.listen('127.0.0.1:0');
  return {
    health,
    addresses: { grpc: `127.0.0.1:${port}` },
    stop: () => server.shutdown(),
    forceStop: () => server.forceShutdown(),
  };
};

/** Every adapter the suite runs against. */
export const SERVERS: Readonly<Record<string, AdapterUnderTest>> = {
  'grpc-js': { start: grpcJs, protocols: ['grpc'] },
  connect: { start: connect, protocols: ['grpc', 'connect', 'grpc-web'] },
  'nice-grpc': { start: niceGrpc, protocols: ['grpc'] },
};

/** Starts `adapter` around a new `HealthServer` with `options`. */
export function startAdapter(adapter: AdapterUnderTest, options: HealthServerOptions = {}): Promise<ServerUnderTest> {
  return adapter.start(new HealthServer(options));
}
