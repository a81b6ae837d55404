/**
 * The demo behind `npm run demo`: a health server with a few services and a client
 * that lists, checks and watches them while the server changes their statuses.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthClient, HealthServer, type SettableStatus } from 'grpc-health-kit';

const started = Date.now();
const log = (who: string, text: string) =>
  console.log(`[${String(Date.now() - started).padStart(5)} ms] ${who.padEnd(6)} ${text}`);

const health = new HealthServer({ statuses: { 'echo.Echo': 'SERVING', 'store.Store': 'NOT_SERVING' } });
const server = new grpc.Server();
health.addToServer(server);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
);
log('server', `grpc.health.v1.Health on 127.0.0.1:${port}`);

const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const listed = await client.list();
log('client', `list -> ${[...listed].map(([name, status]) => `${name || '""'}=${status}`).join(', ')}`);
for (const service of ['', 'echo.Echo', 'nobody.Here']) {
  const answer = await client.check(service).catch((error: Error) => error.message);
  log('client', `check ${JSON.stringify(service)} -> ${answer}`);
}

// Watch two services; each stream prints what arrives.
const stop = new AbortController();
const watching = ['echo.Echo', 'store.Store'].map(async (service) => {
  for await (const status of client.watch(service, { signal: stop.signal })) {
    log('client', `watch ${service} <- ${status}`);
  }
});

const steps: [string, () => void][] = [
  ['store.Store is ready', () => set('store.Store', 'SERVING')],
  ['echo.Echo starts draining', () => set('echo.Echo', 'NOT_SERVING')],
  ['echo.Echo set NOT_SERVING again (no message: nothing changed)', () => set('echo.Echo', 'NOT_SERVING')],
  ['echo.Echo is back', () => set('echo.Echo', 'SERVING')],
  ['shutdown(): everything NOT_SERVING', () => health.shutdown()],
  ['resume(): the statuses set before come back', () => health.resume()],
];
function set(service: string, status: SettableStatus) {
  health.setStatus(service, status);
}
for (const [what, act] of steps) {
  await new Promise((resolve) => setTimeout(resolve, 250));
  log('server', what);
  act();
}
await new Promise((resolve) => setTimeout(resolve, 250));
stop.abort();
await Promise.all(watching);
// The server learns of the cancels a moment later.
for (let waited = 0; health.watcherCount() > 0 && waited < 1000; waited += 10) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
log('server', `open watches after the client stopped: ${health.watcherCount()}`);
client.close();
server.forceShutdown();
