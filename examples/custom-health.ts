/**
 * Custom health checking: implement Check and Watch yourself with the generated
 * service definition and message types, instead of using HealthServer.
 *
 * Here the status of "" comes from a function of our own (the share of a
 * connection pool in use); Check computes it on each call and Watch polls it.
 * Run: node dist/examples/custom-health.js
 */
import * as grpc from '@grpc/grpc-js';
import { HealthClient, HealthService, type HealthServiceHandlers, WireServingStatus } from 'grpc-health-kit';

let poolInUse = 0.2; // pretend metric: 0..1

function currentStatus(service: string): WireServingStatus | undefined {
  if (service !== '') return undefined;
  return poolInUse < 0.9 ? WireServingStatus.SERVING : WireServingStatus.NOT_SERVING;
}

const handlers: HealthServiceHandlers = {
  check(call, callback) {
    const status = currentStatus(call.request.service);
    if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
    else callback(null, { status });
  },
  list(_call, callback) {
    callback(null, { statuses: { '': { status: currentStatus('')! } } });
  },
  watch(call) {
    let last: WireServingStatus | undefined;
    const poll = () => {
      const status = currentStatus(call.request.service) ?? WireServingStatus.SERVICE_UNKNOWN;
      if (status !== last) call.write({ status });
      last = status;
    };
    poll();
    const timer = setInterval(poll, 20);
    call.on('cancelled', () => clearInterval(timer));
  },
};

const server = new grpc.Server();
server.addService(HealthService, handlers);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
);

const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
console.log(`check "": ${await client.check('')}`);
const seen: string[] = [];
for await (const status of client.watch('')) {
  seen.push(status);
  console.log(`watch "": ${status}`);
  if (seen.length === 1) poolInUse = 0.95; // the pool fills up
  if (seen.length === 2) break;
}
console.log(`check "": ${await client.check('')}`);
client.close();
server.forceShutdown();
