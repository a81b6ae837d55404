/**
 * The demo behind `npm run demo`: three backends behind one health-checked
 * grpc-js channel. A steady stream of RPCs runs while
 * - b1 drains (NOT_SERVING) and comes back;
 * - b2's database goes away: its dependency check fails, and after the threshold
 *   b2 turns NOT_SERVING; the database returns and so does b2;
 * - b0 gets a graceful shutdown (what SIGTERM triggers): NOT_SERVING, drain, stop.
 * The terminal shows where each RPC went, the health updates arriving, and that
 * no RPC failed.
 */
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import {
  DependencyChecks,
  gracefulShutdown,
  HealthClient,
  HealthServer,
  healthCheckChannelOptions,
  onBackendHealthChange,
  tcpCheck,
} from 'grpc-health-kit';

const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A tiny application service, "Who": replies with the backend's name. Its
// payload is opaque bytes; any real service works the same way.
const bytes = (value: Buffer) => value;
const whoService = {
  who: {
    path: '/demo.Backend/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};

async function startBackend(name: string) {
  const server = new grpc.Server();
  const health = new HealthServer({ statuses: { 'demo.Backend': 'SERVING' } });
  health.addToServer(server);
  server.addService(whoService, {
    who: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { name, server, health, address: `127.0.0.1:${port}` };
}

const backends = await Promise.all(['b0', 'b1', 'b2'].map(startBackend));

// b2 needs a database: a TCP port here, checked every 100 ms; 2 failures in a row
// make b2 NOT_SERVING, 1 success SERVING again.
let database = createServer((socket) => socket.destroy());
await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
const databasePort = (database.address() as { port: number }).port;
const checks = new DependencyChecks(backends[2]!.health).add('database', tcpCheck('127.0.0.1', databasePort), {
  services: ['demo.Backend'],
  intervalMs: 100,
  timeoutMs: 200,
  failureThreshold: 2,
});
await checks.runNow();
checks.start();
checks.onResult((result) => {
  if (result.lastError && result.consecutiveFailures <= 2) {
    console.log(`${stamp()}  check   b2 database failed ${result.consecutiveFailures}x: ${result.lastError}`);
  }
});
const names = new Map(backends.map((b) => [b.address, b.name]));
console.log(`${stamp()}  backends ${backends.map((b) => `${b.name}=${b.address}`).join('  ')}`);
console.log(`${stamp()}  client: round_robin over all three, health-checked on "demo.Backend"`);

// The health-checked channel: one option is all it takes.
const WhoClient = grpc.makeGenericClientConstructor(whoService, 'Backend');
const client = new WhoClient(
  `ipv4:${backends.map((b) => b.address).join(',')}`,
  grpc.credentials.createInsecure(),
  healthCheckChannelOptions('demo.Backend'),
) as unknown as grpc.Client & { who: (req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<Buffer>) => void };

// What the balancer learns from each backend's Watch stream.
const lastState = new Map<string, string>();
const stopHealthLog = onBackendHealthChange((health) => {
  if (health.state === 'CHECKING' || lastState.get(health.address) === health.state) return;
  lastState.set(health.address, health.state);
  console.log(`${stamp()}  health  ${names.get(health.address)} is ${health.state}`);
});

// And a plain Watch from a second client, to see the updates arrive on the wire.
const watcher = new HealthClient(backends[1]!.address, grpc.credentials.createInsecure());
const stopWatch = new AbortController();
const watching = (async () => {
  for await (const status of watcher.watch('demo.Backend', { signal: stopWatch.signal })) {
    console.log(`${stamp()}  watch   b1 demo.Backend <- ${status}`);
  }
})();

// A steady stream of RPCs, 8 in flight, counted per backend.
let counts: Record<string, number> = {};
let total = 0;
let failed = 0;
let running = true;
const callOnce = () =>
  new Promise<void>((resolve) =>
    client.who(Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error, reply) => {
      if (error) {
        failed += 1;
        console.log(`${stamp()}  FAILED  ${error.message}`);
      } else {
        const name = reply!.toString();
        counts[name] = (counts[name] ?? 0) + 1;
        total += 1;
      }
      resolve();
    }),
  );
const workers = Array.from({ length: 8 }, async () => {
  while (running) await callOnce();
});

async function phase(title: string, act: () => unknown) {
  console.log(`${stamp()}  ---- ${title}`);
  void act();
  for (let i = 0; i < 2; i++) {
    counts = {};
    await pause(400);
    const row = backends.map((b) => `${b.name} ${String(counts[b.name] ?? 0).padStart(5)}`).join('   ');
    console.log(`${stamp()}  rpcs    ${row}   failed ${failed}`);
  }
}

// Begin once traffic reaches all three: connecting and the first health answers take a
// moment, more on a busy machine.
for (const until = Date.now() + 15_000; backends.some((b) => !counts[b.name]) && Date.now() < until;) await pause(50);
await phase('all three SERVING', () => {});
await phase('b1 drains: setStatus("demo.Backend", "NOT_SERVING")', () => backends[1]!.health.setStatus('demo.Backend', 'NOT_SERVING'));
await phase('b1 is back: setStatus("demo.Backend", "SERVING")', () => backends[1]!.health.setStatus('demo.Backend', 'SERVING'));
await phase("b2's database goes away", () => database.close());
await phase("b2's database is back", async () => {
  database = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => database.listen(databasePort, '127.0.0.1', resolve));
});
const b0Shutdown = gracefulShutdown(backends[0]!.server, backends[0]!.health, {
  signals: [],
  drainMs: 300,
  exit: false,
  log: (line) => console.log(`${stamp()}  b0      ${line}`),
});
await phase('b0 shuts down gracefully (what SIGTERM triggers)', () => b0Shutdown.shutdown());

running = false;
await Promise.all(workers);
stopWatch.abort();
await watching;
stopHealthLog();
checks.stop();
console.log(`${stamp()}  done: ${total} RPCs, ${failed} failed`);
watcher.close();
client.close();
database.close();
for (const backend of backends) backend.server.forceShutdown();
