import * as grpc from '@grpc/grpc-js';
import { DependencyChecks, eventLoopDelayCheck, gracefulShutdown, HealthServer, startHealthHttp, tcpCheck } from 'grpc-health-kit';

const server = new grpc.Server();
const health = new HealthServer();
health.addToServer(server);
// server.addService(OrdersService, ordersHandlers);    // your services

// orders.Orders is SERVING only while its database answers; "" while every check passes.
const checks = new DependencyChecks(health, { intervalMs: 5000, timeoutMs: 1000, failureThreshold: 3 })
  .add('postgres', tcpCheck(process.env.DB_HOST ?? '127.0.0.1', Number(process.env.DB_PORT ?? 5432)), { services: ['orders.Orders'] })
  .add('event-loop', eventLoopDelayCheck(500));
checks.start();

const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync(`0.0.0.0:${process.env.PORT ?? 50051}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
);
// /livez /readyz /healthz for HTTP-only probes.
const http = await startHealthHttp(health, { port: Number(process.env.HTTP_PORT ?? 8080), host: '0.0.0.0', checks });
console.log(`grpc on ${port}, http on ${http.port}`);

// SIGTERM: NOT_SERVING, 5 s for clients to move away, end Watch streams, stop, exit.
// Durations are checked here: a DRAIN_MS of "5s" (NaN) throws a HealthArgumentError at startup.
const drainMs = process.env.DRAIN_MS === undefined ? 5000 : Number(process.env.DRAIN_MS);
gracefulShutdown(server, health, { drainMs, timeoutMs: 20_000, checks, onStopped: () => http.close() });
