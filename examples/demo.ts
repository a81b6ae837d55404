/**
 * The demo behind `npm run demo`: three backends behind one health-checked
 * grpc-js channel. A steady stream of RPCs runs while backend b1 drains
 * (NOT_SERVING), is away, and comes back; the terminal shows where each RPC went,
 * the health Watch updates arriving, and that no RPC failed.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthClient, HealthServer, healthCheckChannelOptions, onBackendHealthChange } from 'grpc-health-kit';

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
const stopHealthLog = onBackendHealthChange((health) => {
  if (health.state !== 'CHECKING') console.log(`${stamp()}  health  ${names.get(health.address)} is ${health.state}`);
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

async function phase(title: string, act: () => void) {
  console.log(`${stamp()}  ---- ${title}`);
  act();
  for (let i = 0; i < 2; i++) {
    counts = {};
    await pause(400);
    const row = backends.map((b) => `${b.name} ${String(counts[b.name] ?? 0).padStart(5)}`).join('   ');
    console.log(`${stamp()}  rpcs    ${row}   failed ${failed}`);
  }
}

await phase('all three SERVING', () => {});
await phase('b1 drains: setStatus("demo.Backend", "NOT_SERVING")', () =>
  backends[1]!.health.setStatus('demo.Backend', 'NOT_SERVING'),
);
await phase('b1 is back: setStatus("demo.Backend", "SERVING")', () =>
  backends[1]!.health.setStatus('demo.Backend', 'SERVING'),
);

running = false;
await Promise.all(workers);
stopWatch.abort();
await watching;
stopHealthLog();
console.log(`${stamp()}  done: ${total} RPCs, ${failed} failed`);
watcher.close();
client.close();
for (const backend of backends) backend.server.forceShutdown();
