/**
 * grpc-go-style service configs for grpc-js: `healthCheckConfig` becomes the
 * `health_check` policy around the configured one.
 *
 * grpc-js validates service configs and drops `healthCheckConfig`, so it cannot
 * be read from a config that reaches grpc-js on its own (a `grpc.service_config`
 * option set by hand, or a config from a resolver such as DNS TXT records). This
 * rewrites the config before grpc-js sees it. A config from a resolver can still
 * name `health_check` in `loadBalancingConfig` directly.
 */
import { HealthArgumentError } from '../errors.js';
import { HEALTH_CHECK_POLICY_NAME } from './health-check-config.js';
import { type GrpcModule, registerHealthCheckLoadBalancer, warnAboutUnregisteredCopies } from './registration.js';

type Json = Record<string, unknown>;

const TOP_LEVEL_KEYS = ['loadBalancingPolicy', 'loadBalancingConfig', 'healthCheckConfig', 'methodConfig', 'retryThrottling'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `key` the way Go's encoding/json does: exact match first, then any letter case. */
function field(obj: Json, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  const found = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : obj[found];
}

/**
 * Rewrites a service config written for grpc-go, or in grpc-js's own form with a
 * `healthCheckConfig`, into one grpc-js runs with client-side health checking.
 *
 * Accepts `{"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":"x"}}`
 * and the older form `{"LoadBalancingPolicy":"round_robin","HealthCheckConfig":{"ServiceName":"x"}}`
 * (keys in any letter case, as grpc-go's JSON decoding allows), as an object or a
 * JSON string. Other top-level fields (`methodConfig`, `retryThrottling`) pass
 * through. Without `healthCheckConfig` the config is returned as it is.
 *
 * As in grpc-go, health checking applies to round_robin and other policies built
 * on it; with no policy (grpc's default, pick_first) it is off.
 *
 * @throws {@link HealthArgumentError} for JSON that does not parse or fields of the wrong type.
 */
export function healthCheckServiceConfig(config: string | object): Json {
  let parsed: unknown = config;
  if (typeof config === 'string') {
    try {
      parsed = JSON.parse(config);
    } catch (error) {
      throw new HealthArgumentError(`service config is not JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(parsed)) throw new HealthArgumentError('service config must be a JSON object');

  const out: Json = {};
  for (const [key, value] of Object.entries(parsed)) {
    const known = TOP_LEVEL_KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
    out[known ?? key] = value;
  }
  const healthCheck = field(parsed, 'healthCheckConfig');
  delete out.healthCheckConfig;
  if (healthCheck === undefined || healthCheck === null) return out;
  if (!isObject(healthCheck)) throw new HealthArgumentError('healthCheckConfig must be an object');
  const serviceName = field(healthCheck, 'serviceName') ?? '';
  if (typeof serviceName !== 'string') throw new HealthArgumentError('healthCheckConfig.serviceName must be a string');

  let childPolicy: unknown = out.loadBalancingConfig;
  const policyName = out.loadBalancingPolicy;
  delete out.loadBalancingPolicy;
  if (childPolicy === undefined) {
    if (policyName !== undefined && typeof policyName !== 'string') {
      throw new HealthArgumentError('loadBalancingPolicy must be a string');
    }
    childPolicy = [{ [policyName ? policyName.toLowerCase() : 'pick_first']: {} }];
  } else if (!Array.isArray(childPolicy)) {
    throw new HealthArgumentError('loadBalancingConfig must be a list');
  }
  out.loadBalancingConfig = [{ [HEALTH_CHECK_POLICY_NAME]: { serviceName, childPolicy } }];
  return out;
}

/** Options of {@link healthCheckChannelOptions}. */
export interface HealthCheckChannelOptionsOptions {
  /**
   * The `@grpc/grpc-js` module the channel will be made with
   * (`import * as grpc from '@grpc/grpc-js'`): the policy is registered with it.
   * Needed only when the application may load another copy than this package's.
   */
  grpc?: GrpcModule;
}

/**
 * HTTP/2 keepalive that {@link healthCheckChannelOptions} sets. A frozen backend
 * (SIGSTOP, a stuck VM) keeps its last SERVING, since its Watch stream just goes
 * quiet; only an unanswered ping shows it. With these values its connection is
 * dropped, and the backend leaves the pick set, at most `time + timeout` (40 s)
 * after it freezes. The Watch stream keeps a call open on every connection, so
 * pings run without `grpc.keepalive_permit_without_calls`.
 *
 * grpc-js servers accept pings at any rate. grpc-go, grpc-java and C-core servers
 * by default refuse pings more often than every 5 minutes on a connection that
 * sends them no data (an idle backend): after a few they answer GOAWAY
 * ENHANCE_YOUR_CALM `too_many_pings`, and grpc-js reconnects and doubles its ping
 * interval on that connection until it is accepted. Allow 30 s on such servers
 * (grpc-go `keepalive.EnforcementPolicy{MinTime: 30 * time.Second}`, grpc-java
 * `permitKeepAliveTime(30, SECONDS)`, C-core
 * `grpc.http2.min_ping_interval_without_data_ms`), or override these options.
 */
export const HEALTH_CHECK_KEEPALIVE = Object.freeze({
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
});

/** What {@link healthCheckChannelOptions} returns. */
export interface HealthCheckChannelOptions {
  'grpc.service_config': string;
  'grpc.keepalive_time_ms': number;
  'grpc.keepalive_timeout_ms': number;
}

/**
 * Channel options that turn on client-side health checking: pass them to a grpc-js
 * client or channel. `config` is a service config as {@link healthCheckServiceConfig}
 * takes it, or just the service name to check with round_robin. They include
 * {@link HEALTH_CHECK_KEEPALIVE}, so that a frozen backend leaves the pick set
 * within 40 s; spread your own keepalive options after them to change it.
 *
 * ```ts
 * const client = new EchoClient('dns:///echo:50051', credentials.createInsecure(),
 *   healthCheckChannelOptions('echo.Echo'));
 * ```
 *
 * Without `options.grpc`, it logs a warning (once per copy) when a loaded copy of
 * grpc-js lacks the policy.
 *
 * @throws {@link HealthArgumentError} for a bad config or a `grpc` that is not a grpc-js module.
 */
export function healthCheckChannelOptions(
  config: string | object,
  options: HealthCheckChannelOptionsOptions = {},
): HealthCheckChannelOptions {
  if (typeof options !== 'object' || options === null)
    throw new HealthArgumentError('healthCheckChannelOptions: options must be an object');
  const { grpc } = options;
  if (grpc !== undefined) {
    registerHealthCheckLoadBalancer(grpc);
  } else {
    registerHealthCheckLoadBalancer();
    warnAboutUnregisteredCopies();
  }
  const serviceConfig =
    typeof config === 'string' && !config.trimStart().startsWith('{')
      ? { loadBalancingConfig: [{ round_robin: {} }], healthCheckConfig: { serviceName: config } }
      : config;
  return { 'grpc.service_config': JSON.stringify(healthCheckServiceConfig(serviceConfig)), ...HEALTH_CHECK_KEEPALIVE };
}
