import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  HEALTH_CHECK_KEEPALIVE,
  HealthArgumentError,
  HealthCheckLoadBalancingConfig,
  healthCheckChannelOptions,
  healthCheckServiceConfig,
  registerHealthCheckLoadBalancer,
} from '../../src/index.js';
import { ipv4Target, startBackends, WhoClient } from '../backends.js';
import { spread } from './balancer-helpers.js';

const wrapped = (serviceName: string, childPolicy: object[]) => [{ health_check: { serviceName, childPolicy } }];

describe('healthCheckServiceConfig: grpc-go configs', () => {
  it('wraps loadBalancingConfig in health_check', () => {
    assert.deepEqual(healthCheckServiceConfig({ loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: 'x' } }), {
      loadBalancingConfig: wrapped('x', [{ round_robin: {} }]),
    });
  });

  it('reads the older capitalised form straight from Go code, as a JSON string', () => {
    assert.deepEqual(healthCheckServiceConfig('{"LoadBalancingPolicy": "round_robin", "HealthCheckConfig": {"ServiceName": "x"}}'), {
      loadBalancingConfig: wrapped('x', [{ round_robin: {} }]),
    });
    assert.deepEqual(healthCheckServiceConfig({ loadBalancingPolicy: 'ROUND_ROBIN', healthCheckConfig: {} }), {
      loadBalancingConfig: wrapped('', [{ round_robin: {} }]),
    });
  });

  it('keeps other fields and leaves a config without healthCheckConfig alone', () => {
    const methodConfig = [{ name: [{ service: 'echo.Echo' }], timeout: '1s' }];
    assert.deepEqual(
      healthCheckServiceConfig({ MethodConfig: methodConfig, loadBalancingPolicy: 'round_robin', healthCheckConfig: { serviceName: 'e' } }),
      { methodConfig, loadBalancingConfig: wrapped('e', [{ round_robin: {} }]) },
    );
    assert.deepEqual(healthCheckServiceConfig({ loadBalancingPolicy: 'round_robin' }), { loadBalancingPolicy: 'round_robin' });
  });

  it('uses pick_first, where health checking is off, when no policy is named (as grpc-go)', () => {
    assert.deepEqual(healthCheckServiceConfig({ healthCheckConfig: { serviceName: 'x' } }), {
      loadBalancingConfig: wrapped('x', [{ pick_first: {} }]),
    });
  });

  it('says what is wrong with a bad config', () => {
    assert.throws(() => healthCheckServiceConfig('{nope'), HealthArgumentError);
    assert.throws(() => healthCheckServiceConfig('[]'), /JSON object/);
    assert.throws(() => healthCheckServiceConfig({ healthCheckConfig: 'x' }), /healthCheckConfig must be an object/);
    assert.throws(() => healthCheckServiceConfig({ healthCheckConfig: { serviceName: 1 } }), /serviceName must be a string/);
    assert.throws(() => healthCheckServiceConfig({ healthCheckConfig: {}, loadBalancingConfig: {} }), /must be a list/);
  });

  it('reads fields as Go does: the exact key before one in another letter case', () => {
    assert.deepEqual(healthCheckServiceConfig({ HEALTHCHECKCONFIG: 'ignored', healthCheckConfig: { serviceName: 'x' } }), {
      loadBalancingConfig: wrapped('x', [{ pick_first: {} }]),
    });
    assert.deepEqual(
      healthCheckServiceConfig({ healthCheckConfig: { SERVICENAME: 'ignored', serviceName: 'x' }, loadBalancingPolicy: 'round_robin' }),
      { loadBalancingConfig: wrapped('x', [{ round_robin: {} }]) },
    );
  });

  it('spells every top-level key as grpc-js does', () => {
    const retryThrottling = { maxTokens: 10, tokenRatio: 0.1 };
    assert.deepEqual(
      healthCheckServiceConfig({ RETRYTHROTTLING: retryThrottling, LoadBalancingConfig: [{ round_robin: {} }], HealthCheckConfig: {} }),
      { retryThrottling, loadBalancingConfig: wrapped('', [{ round_robin: {} }]) },
    );
  });

  it('drops a null healthCheckConfig, and the old policy name when a policy list is given', () => {
    assert.deepEqual(healthCheckServiceConfig({ loadBalancingPolicy: 'round_robin', healthCheckConfig: null }), {
      loadBalancingPolicy: 'round_robin',
    });
    assert.deepEqual(
      healthCheckServiceConfig({ loadBalancingConfig: [{ pick_first: {} }], loadBalancingPolicy: 'round_robin', healthCheckConfig: {} }),
      { loadBalancingConfig: wrapped('', [{ pick_first: {} }]) },
    );
    assert.deepEqual(healthCheckServiceConfig({ loadBalancingPolicy: '', healthCheckConfig: {} }), {
      loadBalancingConfig: wrapped('', [{ pick_first: {} }]),
    });
  });

  it('names the bad part of a config, with a typed error', () => {
    const refused = (config: string | object, message: string | RegExp) =>
      assert.throws(
        () => healthCheckServiceConfig(config),
        (error: unknown) =>
          error instanceof HealthArgumentError && (typeof message === 'string' ? error.message === message : message.test(error.message)),
        JSON.stringify(config),
      );
    refused('{nope', /^service config is not JSON: ./);
    for (const config of ['null', '5', '"x"', '[]']) refused(config, 'service config must be a JSON object');
    for (const healthCheckConfig of ['x', 1, []]) refused({ healthCheckConfig }, 'healthCheckConfig must be an object');
    refused({ healthCheckConfig: { serviceName: 1 } }, 'healthCheckConfig.serviceName must be a string');
    refused({ healthCheckConfig: {}, loadBalancingPolicy: 5 }, 'loadBalancingPolicy must be a string');
    refused({ healthCheckConfig: {}, loadBalancingConfig: {} }, 'loadBalancingConfig must be a list');
  });

  it('gives channel options from a JSON service config, with keepalive', () => {
    const options = healthCheckChannelOptions(' {"healthCheckConfig": {"serviceName": "x"}}');
    assert.deepEqual(JSON.parse(options['grpc.service_config']), { loadBalancingConfig: wrapped('x', [{ pick_first: {} }]) });
    assert.equal(options['grpc.keepalive_time_ms'], 30_000);
    assert.equal(options['grpc.keepalive_timeout_ms'], 10_000);
    assert.ok(Object.isFrozen(HEALTH_CHECK_KEEPALIVE));
    assert.equal(
      JSON.parse(healthCheckChannelOptions({ healthCheckConfig: {} }, { grpc })['grpc.service_config']).loadBalancingConfig[0].health_check
        .serviceName,
      '',
    );
    assert.throws(() => healthCheckChannelOptions('x', 'grpc' as never), /options must be an object/);
  });

  it('rejects a grpc option that is not the grpc-js module', () => {
    assert.throws(() => healthCheckChannelOptions('x', { grpc: {} as never }), HealthArgumentError);
    assert.throws(() => healthCheckChannelOptions('x', null as never), HealthArgumentError);
    assert.throws(() => registerHealthCheckLoadBalancer(null as never), /must be the @grpc\/grpc-js module/);
    assert.doesNotThrow(() => registerHealthCheckLoadBalancer(grpc));
  });

  it('gives channel options from a service name alone', () => {
    assert.deepEqual(JSON.parse(healthCheckChannelOptions('echo.Echo')['grpc.service_config']), {
      loadBalancingConfig: wrapped('echo.Echo', [{ round_robin: {} }]),
    });
  });

  it('turns health checking on for a real channel from the grpc-go form', async () => {
    const backends = await startBackends(2);
    backends[1]!.health.setStatus('x', 'NOT_SERVING');
    backends[0]!.health.setStatus('x', 'SERVING');
    const client = new WhoClient(ipv4Target(backends), grpc.credentials.createInsecure(), {
      ...healthCheckChannelOptions({ LoadBalancingPolicy: 'round_robin', HealthCheckConfig: { ServiceName: 'x' } }),
      'grpc.use_local_subchannel_pool': 1,
    });
    try {
      assert.deepEqual(await spread(client, 10), { b0: 10 });
    } finally {
      client.close();
      for (const backend of backends) backend.stop();
    }
  });
});

describe('HealthCheckLoadBalancingConfig', () => {
  it('parses, defaults and prints itself back', () => {
    const config = HealthCheckLoadBalancingConfig.createFromJson({});
    assert.equal(config.serviceName, '');
    assert.equal(config.childPolicy.getLoadBalancerName(), 'round_robin');
    assert.deepEqual(config.toJsonObject(), { health_check: { serviceName: '', childPolicy: [{ round_robin: {} }] } });
    const tuned = HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's', backoff: { initialMs: 10, maxMs: 20 } });
    assert.deepEqual(tuned.backoff, { initialMs: 10, maxMs: 20 });
  });

  it('rejects bad fields with a message naming them', () => {
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson(null), /must be an object/);
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 3 }), /serviceName/);
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: {} }), /childPolicy/);
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ childPolicy: [{ nope: {} }] }), /no supported policy/);
    assert.throws(() => HealthCheckLoadBalancingConfig.createFromJson({ backoff: { initialMs: -1 } }), /backoff.initialMs/);
  });
});

describe('tracing', () => {
  it('reports health and state changes through GRPC_TRACE=health_check', async () => {
    const script = fileURLToPath(new URL('../fixtures/traced-client.js', import.meta.url));
    const { stderr, stdout } = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, GRPC_TRACE: 'health_check', GRPC_VERBOSITY: 'DEBUG' },
      timeout: 10_000,
    });
    assert.equal(stdout.trim(), 'b0');
    assert.match(stderr, /\| health_check \| 127\.0\.0\.1:\d+ "": starting Watch on the subchannel's connection/);
    assert.match(stderr, /\| health_check \| 127\.0\.0\.1:\d+ "": health SERVING/);
    assert.match(stderr, /\| health_check \| 127\.0\.0\.1:\d+ "": CONNECTING -> READY/);
  });
});
