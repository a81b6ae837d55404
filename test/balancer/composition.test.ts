/**
 * health_check composed with grpc-js's and custom policies, both ways round:
 * traffic proves NOT_SERVING backends get nothing, and outlier ejection still works.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { backendHealth } from '../../src/index.js';
import { type Backend, ipv4Target, startBackends, who, type WhoClient } from '../backends.js';
import { healthCheckedClient, healthOf, healthSettles, spread } from './balancer-helpers.js';
import { WRAPPING_POLICY_NAME, wrappingPicks } from './wrapping-policy.js';

let backends: Backend[] = [];
let clients: WhoClient[] = [];
afterEach(() => {
  for (const client of clients) client.close();
  for (const backend of backends) backend.stop();
  clients = [];
  backends = [];
});

const healthCheck = (childPolicy: object[]) => ({ health_check: { serviceName: 'svc', childPolicy } });
const outlierDetection = (child_policy: object[], extra: object = {}) => ({ outlier_detection: { child_policy, ...extra } });
const wrapping = (childPolicy: object[]) => ({ [WRAPPING_POLICY_NAME]: { childPolicy } });

/** Three backends: b1 NOT_SERVING for "svc", b0 and b2 SERVING. */
async function threeBackends(): Promise<[Backend, Backend, Backend]> {
  backends = await startBackends(3);
  const [b0, b1, b2] = backends as [Backend, Backend, Backend];
  b0.health.setStatus('svc', 'SERVING');
  b1.health.setStatus('svc', 'NOT_SERVING');
  b2.health.setStatus('svc', 'SERVING');
  return [b0, b1, b2];
}

function client(loadBalancingConfig: object[]): WhoClient {
  const made = healthCheckedClient(ipv4Target(backends), { loadBalancingConfig });
  clients.push(made);
  return made;
}

/** Traffic avoids b1, then follows a flip (b1 SERVING, b0 NOT_SERVING). */
async function servesOnlyServing(c: WhoClient, [b0, b1]: [Backend, Backend, Backend]): Promise<void> {
  const first = await spread(c, 30);
  assert.deepEqual(Object.keys(first).sort(), ['b0', 'b2']);
  assert.equal(b1.served, 0);
  assert.deepEqual(
    backendHealth(c)
      .map((h) => `${h.address} ${h.state}`)
      .sort(),
    backends.map((b) => `${b.address} ${b === b1 ? 'NOT_SERVING' : 'SERVING'}`).sort(),
  );

  b1.health.setStatus('svc', 'SERVING');
  b0.health.setStatus('svc', 'NOT_SERVING');
  await healthSettles((all) => healthOf(b0, all)?.state === 'NOT_SERVING' && healthOf(b1, all)?.state === 'SERVING', 3000, 'the flip');
  const servedByB0 = b0.served;
  assert.deepEqual(Object.keys(await spread(c, 30)).sort(), ['b1', 'b2']);
  assert.equal(b0.served, servedByB0);
}

describe('health_check composed with other policies', { timeout: 20_000 }, () => {
  it('under outlier_detection (the config from issue 10): no crash, only SERVING backends', async () => {
    const three = await threeBackends();
    await servesOnlyServing(client([outlierDetection([healthCheck([{ round_robin: {} }])])]), three);
  });

  it('under outlier_detection, ejection still works: a failing SERVING backend is ejected', async () => {
    const [, b1, b2] = await threeBackends();
    b2.failing = true;
    const c = client([
      outlierDetection([healthCheck([{ round_robin: {} }])], {
        interval: { seconds: 0, nanos: 100_000_000 },
        base_ejection_time: { seconds: 30, nanos: 0 },
        max_ejection_percent: 50,
        failure_percentage_ejection: { threshold: 50, enforcement_percentage: 100, minimum_hosts: 2, request_volume: 4 },
      }),
    ]);
    // Until b2 is ejected, some calls fail on it; then 20 in a row reach b0.
    const deadline = Date.now() + 8000;
    let inARow = 0;
    while (inARow < 20) {
      assert.ok(Date.now() < deadline, 'b2 was never ejected');
      const name = await who(c).catch(() => 'failed');
      inARow = name === 'b0' ? inARow + 1 : 0;
    }
    assert.equal(b1.served, 0, 'the NOT_SERVING backend got traffic');
  });

  it('with weighted_round_robin as the child', async () => {
    const three = await threeBackends();
    await servesOnlyServing(client([healthCheck([{ weighted_round_robin: {} }])]), three);
  });

  it('with outlier_detection as the child', async () => {
    const three = await threeBackends();
    await servesOnlyServing(client([healthCheck([outlierDetection([{ round_robin: {} }])])]), three);
  });

  it('with a custom subchannel-wrapping policy as the child, and as the parent', async () => {
    const three = await threeBackends();
    wrappingPicks.clear();
    await servesOnlyServing(client([healthCheck([wrapping([{ round_robin: {} }])])]), three);
    assert.ok((wrappingPicks.get(three[2].address) ?? 0) > 0, 'the custom picker saw its own wrappers');
    // backendHealth(client) tells channels apart by target: one channel to these backends at a time.
    clients.pop()!.close();
    for (const b of backends) b.served = 0;
    three[0].health.setStatus('svc', 'SERVING');
    three[1].health.setStatus('svc', 'NOT_SERVING');
    wrappingPicks.clear();
    await servesOnlyServing(client([wrapping([healthCheck([{ round_robin: {} }])])]), three);
    assert.ok((wrappingPicks.get(three[2].address) ?? 0) > 0, 'the custom parent got its own wrappers back');
  });
});
