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
import { experimental, logVerbosity } from '@grpc/grpc-js';
import { type BackoffOptions, checkBackoff } from '../client/backoff.js';

/** The policy's name in service configs. */
export const HEALTH_CHECK_POLICY_NAME = 'health_check';

/**
 * Zero, negative, NaN and Infinity are refused here rather than read as "default".
 * grpc-js logs a config that fails to parse only at DEBUG and falls back to the next
 * policy in the list (pick_first at the end, without health checking), so the
 * refusal is also logged as an error: the channel must not go unchecked silently.
 */
function parseBackoff(raw: unknown): BackoffOptions | undefined {
  if (raw === undefined) return undefined;
  try {
    return checkBackoff(raw, 'health_check: backoff');
  } catch (error) {
    experimental.log(logVerbosity.ERROR, `${(error as Error).message}; this health_check config is not used`);
    throw error;
  }
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

  /** Parses the JSON form; throws with a message naming the bad field. */
  static createFromJson(raw: unknown): HealthCheckLoadBalancingConfig {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new Error('health_check: config must be an object');
    }
    const obj = raw as Record<string, unknown>;
    const serviceName = obj.serviceName ?? '';
    if (typeof serviceName !== 'string') throw new Error('health_check: serviceName must be a string');
    const childList = obj.childPolicy ?? [{ round_robin: {} }];
    if (!Array.isArray(childList)) throw new Error('health_check: childPolicy must be a list of policies');
    const childPolicy = experimental.selectLbConfigFromList(childList);
    if (!childPolicy) throw new Error('health_check: no supported policy in childPolicy');
    return new HealthCheckLoadBalancingConfig(serviceName, childPolicy, parseBackoff(obj.backoff));
  }
}
