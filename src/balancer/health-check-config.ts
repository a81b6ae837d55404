/**
 * The configuration of the `health_check` load-balancing policy:
 *
 * ```json
 * {"loadBalancingConfig": [{"health_check": {
 *   "serviceName": "echo.Echo",
 *   "childPolicy": [{"round_robin": {}}],
 *   "backoff": {"initialMs": 1000, "multiplier": 1.6, "jitter": 0.2, "maxMs": 120000}
 * }}]}
 * ```
 *
 * `serviceName` defaults to `""` (the whole server), `childPolicy` to round_robin,
 * `backoff` to grpc-go's values.
 */
import { experimental } from '@grpc/grpc-js';
import { type BackoffOptions, checkBackoff } from '../client/backoff.js';
import { BoundedKeySet, warn } from './backend-health.js';

/** The policy's name in service configs. */
export const HEALTH_CHECK_POLICY_NAME = 'health_check';

/** How many distinct config errors are remembered as already logged. */
const MAX_LOGGED_CONFIG_ERRORS = 100;
const loggedConfigErrors = new BoundedKeySet(MAX_LOGGED_CONFIG_ERRORS);

/**
 * grpc-js logs a policy config that fails to parse only at DEBUG and falls back to
 * the next policy in the list (pick_first at the end, without health checking): a
 * refusal is therefore also logged as an error, once per distinct message (grpc-js
 * parses the config again on every resolver update), so that a channel never goes
 * unchecked silently.
 */
function refuse(error: Error): never {
  const text = `${error.message}; this health_check config is not used, and grpc-js falls back to the next policy in loadBalancingConfig (pick_first when there is none): RPCs are not health checked`;
  if (loggedConfigErrors.add(error.message)) warn(text);
  throw error;
}

/**
 * The child policy: the first entry grpc-js's own registry parses, as grpc-js's
 * `selectLbConfigFromList` chooses. Unlike it, says why each entry was refused
 * (an unknown name such as `round_robbin`, or a config the policy refuses, such as
 * outlier_detection over pick_first) when none is usable.
 */
function parseChildPolicy(list: unknown[]): experimental.TypedLoadBalancingConfig {
  const refused: string[] = [];
  for (const entry of list) {
    try {
      return experimental.parseLoadBalancingConfig(entry as Parameters<typeof experimental.parseLoadBalancingConfig>[0]);
    } catch (error) {
      refused.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`health_check: no supported policy in childPolicy${refused.length ? ` (${refused.join('; ')})` : ''}`);
}

/** The parsed `health_check` policy config. */
export class HealthCheckLoadBalancingConfig implements experimental.TypedLoadBalancingConfig {
  constructor(
    /** The service name sent in each Watch (`""`: the whole server). */
    readonly serviceName: string,
    /** The policy that chooses among healthy backends. */
    readonly childPolicy: experimental.TypedLoadBalancingConfig,
    /** Backoff between Watch attempts that got no message. */
    readonly backoff?: BackoffOptions,
  ) {}

  getLoadBalancerName(): string {
    return HEALTH_CHECK_POLICY_NAME;
  }

  toJsonObject(): object {
    return {
      [HEALTH_CHECK_POLICY_NAME]: {
        serviceName: this.serviceName,
        childPolicy: [this.childPolicy.toJsonObject()],
        ...(this.backoff ? { backoff: this.backoff } : {}),
      },
    };
  }

  /**
   * Parses the JSON form; throws with a message naming the bad field, and logs it
   * through grpc-js's logger at ERROR (once per distinct message).
   */
  static createFromJson(raw: unknown): HealthCheckLoadBalancingConfig {
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new Error('health_check: config must be an object');
      }
      const obj = raw as Record<string, unknown>;
      const serviceName = obj.serviceName ?? '';
      if (typeof serviceName !== 'string') throw new Error('health_check: serviceName must be a string');
      const childList = obj.childPolicy ?? [{ round_robin: {} }];
      if (!Array.isArray(childList)) throw new Error('health_check: childPolicy must be a list of policies');
      const childPolicy = parseChildPolicy(childList);
      // Zero, negative, NaN and Infinity are refused (HealthArgumentError) rather than read as "default".
      const backoff = obj.backoff === undefined ? undefined : checkBackoff(obj.backoff, 'health_check: backoff', 'ignore');
      return new HealthCheckLoadBalancingConfig(serviceName, childPolicy, backoff);
    } catch (error) {
      return refuse(error as Error);
    }
  }
}
