import { startHealth, next } from '../test/helpers.js';
const h = await startHealth();
h.health.setStatus('s', 'SERVING');
const w = h.client.watch('s'); await next(w);
for (const n of [1000, 100000, 100000]) {
  const t = performance.now();
  for (let i = 0; i < n; i++) h.health.setStatus('s', i % 2 ? 'SERVING' : 'NOT_SERVING');
  console.log(n, ((performance.now() - t) * 1000 / n).toFixed(3), 'µs/set');
}
h.close();
