import * as grpc from '@grpc/grpc-js';
import { healthCheckChannelOptions, backendHealth } from '../src/index.js';
import { startBackends, ipv4Target, WhoClient, who } from '../test/backends.js';
const backends = await startBackends(3);
backends[1]!.health.setStatus('', 'NOT_SERVING');
const client = new WhoClient(ipv4Target(backends), grpc.credentials.createInsecure(), healthCheckChannelOptions(''));
const counts: Record<string, number> = {};
for (let i = 0; i < 30; i++) { const n = await who(client); counts[n] = (counts[n] ?? 0) + 1; }
console.log(counts, backendHealth().map(h => `${h.address} ${h.state}`));
for (const b of backends) console.log(b.name, [...b.peers.entries()].map(([m, p]) => `${m}=${[...p]}`).join(' '));
backends[1]!.health.setStatus('', 'SERVING');
backends[0]!.health.setStatus('', 'NOT_SERVING');
await new Promise(r => setTimeout(r, 100));
const c2: Record<string, number> = {};
for (let i = 0; i < 30; i++) { const n = await who(client); c2[n] = (c2[n] ?? 0) + 1; }
console.log(c2);
for (const b of backends) b.health.setStatus('', 'NOT_SERVING');
await new Promise(r => setTimeout(r, 100));
try { await who(client) } catch (e) { console.log((e as Error).message) }
client.close();
await new Promise(r => setTimeout(r, 100));
console.log(backends.map(b => b.health.watcherCount()));
for (const b of backends) b.stop();
