import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthArgumentError, HealthCheckLoadBalancingConfig } from '../../src/index.js';
import { startBackends, who, WhoClient } from '../backends.js';

const parse = (backoff: unknown) => HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's', backoff });

describe('HealthCheckLoadBalancingConfig: backoff', () => {
  it('keeps the settings given and leaves the rest to the defaults', () => {
    assert.equal(HealthCheckLoadBalancingConfig.createFromJson({}).backoff, undefined);
    assert.deepEqual(parse({ initialMs: 250, multiplier: 2, jitter: 0, maxMs: 5000 }).backoff, {
      initialMs: 250,
      multiplier: 2,
      jitter: 0,
      maxMs: 5000,
    });
    assert.deepEqual(parse({ jitter: 0 }).toJsonObject(), {
      health_check: { serviceName: 's', childPolicy: [{ round_robin: {} }], backoff: { jitter: 0 } },
    });
  });

  it('refuses zero, negative, NaN and Infinity instead of reading them as the default', () => {
    for (const [backoff, field] of [
      [{ initialMs: 0 }, 'initialMs'],
      [{ initialMs: -100 }, 'initialMs'],
      [{ initialMs: Number.NaN }, 'initialMs'],
      [{ initialMs: Number.POSITIVE_INFINITY }, 'initialMs'],
      [{ multiplier: 0 }, 'multiplier'],
      [{ multiplier: -1.6 }, 'multiplier'],
      [{ multiplier: 0.9 }, 'multiplier'],
      [{ multiplier: Number.NaN }, 'multiplier'],
      [{ jitter: -0.2 }, 'jitter'],
      [{ jitter: 2 }, 'jitter'],
      [{ jitter: Number.POSITIVE_INFINITY }, 'jitter'],
      [{ maxMs: 0 }, 'maxMs'],
      [{ maxMs: Number.NEGATIVE_INFINITY }, 'maxMs'],
      [{ maxMs: '120000' }, 'maxMs'],
    ] as const) {
      assert.throws(
        () => parse(backoff),
        (error: unknown) => error instanceof HealthArgumentError && error.message.startsWith(`health_check: backoff.${field} must be`),
        JSON.stringify(backoff),
      );
    }
  });

  it('refuses a backoff that is not an object', () => {
    for (const backoff of [null, 5, 'fast', [1000]]) {
      assert.throws(() => parse(backoff), HealthArgumentError, String(backoff));
    }
  });

  it('logs the refusal as an error, since grpc-js would skip the config quietly', () => {
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    try {
      // A value no other test uses: each distinct refusal is logged once per process.
      assert.throws(() => parse({ maxMs: -31 }), HealthArgumentError);
    } finally {
      grpc.setLogger(console);
    }
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /health_check: backoff\.maxMs must be .*; this health_check config is not used/);
  });
});

/** Runs `body` with grpc-js's logger collecting what it logs at its default verbosity (ERROR). */
function logsOf(body: () => void): string[] {
  const logged: string[] = [];
  grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
  try {
    body();
  } finally {
    grpc.setLogger(console);
  }
  return logged;
}

describe('HealthCheckLoadBalancingConfig: a refused config is never silent', () => {
  it('logs a childPolicy grpc-js cannot use, with grpc-js own reason, once', () => {
    for (const [childPolicy, reason] of [
      [[{ round_robbin: {} }], /Unrecognized load balancing config name round_robbin/],
      [
        [{ outlier_detection: { child_policy: [{ pick_first: {} }] } }],
        /outlier_detection LB policy cannot have a pick_first child policy/,
      ],
      [[{ pick_first: { shuffleAddressList: 'yes' } }], /shuffleAddressList must be a boolean/],
    ] as const) {
      const logged = logsOf(() => {
        for (let i = 0; i < 3; i++) {
          assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's', childPolicy }), reason);
        }
      });
      assert.equal(logged.length, 1, `logged once: ${logged.join('\n')}`);
      assert.match(logged[0]!, reason);
      assert.match(
        logged[0]!,
        /health_check: no supported policy in childPolicy .*this health_check config is not used.*not health checked/,
      );
    }
  });

  it('logs a serviceName that is not a string, and a config that is not an object', () => {
    const logged = logsOf(() => {
      assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ serviceName: ['s'] }), /serviceName must be a string/);
      assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: 'round_robin' }), /childPolicy must be a list/);
    });
    assert.equal(logged.length, 2, logged.join('\n'));
    assert.match(logged[0]!, /health_check: serviceName must be a string; this health_check config is not used/);
    assert.match(logged[1]!, /health_check: childPolicy must be a list of policies; this health_check config is not used/);
  });

  it('on a real channel: grpc-js falls back to pick_first, and the error is logged at its default verbosity', async () => {
    const [backend] = await startBackends(1);
    backend!.health.setStatus('', 'NOT_SERVING');
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info: () => {}, debug: () => {} } as unknown as Console);
    const client = new WhoClient(backend!.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.service_config': JSON.stringify({
        loadBalancingConfig: [{ health_check: { serviceName: '', childPolicy: [{ round_robbin_on_a_channel: {} }] } }],
      }),
    });
    try {
      assert.equal(await who(client), 'b0', 'unchecked: the NOT_SERVING backend is used');
      assert.equal(
        logged.filter((line) => /Unrecognized load balancing config name round_robbin_on_a_channel/.test(line)).length,
        1,
        logged.join('\n'),
      );
    } finally {
      grpc.setLogger(console);
      client.close();
      backend!.stop();
    }
  });

  it('keeps grpc-js choice: the first usable entry, quietly skipping unknown ones before it', () => {
    const logged = logsOf(() => {
      const config = HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: [{ round_robbin: {} }, { round_robin: {} }] });
      assert.equal(config.childPolicy.getLoadBalancerName(), 'round_robin');
    });
    assert.deepEqual(logged, []);
  });
});

describe('HealthCheckLoadBalancingConfig: fields', () => {
  it('refuses every non-object config and names the policy', () => {
    for (const raw of [null, undefined, 'x', 1, [{}]]) {
      assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson(raw), { message: 'health_check: config must be an object' });
    }
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 3 }), {
      message: 'health_check: serviceName must be a string',
    });
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: {} }), {
      message: 'health_check: childPolicy must be a list of policies',
    });
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: [] }), {
      message: 'health_check: no supported policy in childPolicy',
    });
    const config = HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 'a', childPolicy: [{ nope: {} }, { pick_first: {} }] });
    assert.equal(config.getLoadBalancerName(), 'health_check');
    assert.equal(config.childPolicy.getLoadBalancerName(), 'pick_first');
    assert.deepEqual(Object.keys((config.toJsonObject() as { health_check: object }).health_check), ['serviceName', 'childPolicy']);
  });
});
