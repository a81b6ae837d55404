/**
 * Registering the `health_check` policy with grpc-js, and noticing when the
 * application's grpc-js is not the one it was registered with.
 *
 * grpc-js keeps its policy registry in module state. When an application ends up
 * with two copies of `@grpc/grpc-js` (one nested under this package, a monorepo
 * with two versions), a channel made with the copy that lacks the policy falls
 * back to pick_first without a word: RPCs reach NOT_SERVING backends and
 * `backendHealth()` is empty. Handing the application's module in fixes it.
 */
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import * as ownGrpc from '@grpc/grpc-js';
import { HEALTH_CHECK_POLICY_NAME, HealthCheckLoadBalancingConfig } from './health-check-config.js';
import { HealthCheckLoadBalancer } from './health-check-load-balancer.js';
import { warn } from './backend-health.js';
import { HealthArgumentError } from '../errors.js';

/** The part of a `@grpc/grpc-js` module this package registers with: pass `import * as grpc from '@grpc/grpc-js'`. */
export interface GrpcModule {
  experimental: {
    registerLoadBalancerType(...args: never[]): void;
    isLoadBalancerNameRegistered(typeName: string): boolean;
  };
}

const registeredWith = new WeakSet<object>();

/**
 * Registers the `health_check` policy with `grpc` (default: the `@grpc/grpc-js`
 * this package resolves, a peer dependency, normally the application's own).
 * Importing the package registers it with that default; calling again does nothing.
 *
 * Pass your module when your application may load another copy of grpc-js than
 * this package does (nested install, monorepo):
 *
 * ```ts
 * import * as grpc from '@grpc/grpc-js';
 * import { registerHealthCheckLoadBalancer } from 'grpc-health-kit';
 * registerHealthCheckLoadBalancer(grpc);
 * ```
 *
 * @throws {@link HealthArgumentError} when `grpc` is not a grpc-js module.
 */
export function registerHealthCheckLoadBalancer(grpc: GrpcModule = ownGrpc): void {
  if (typeof (grpc as Partial<GrpcModule> | null)?.experimental?.registerLoadBalancerType !== 'function') {
    throw new HealthArgumentError(
      'registerHealthCheckLoadBalancer: grpc must be the @grpc/grpc-js module (import * as grpc from "@grpc/grpc-js")',
    );
  }
  if (registeredWith.has(grpc.experimental)) return;
  registeredWith.add(grpc.experimental);
  (grpc.experimental.registerLoadBalancerType as typeof ownGrpc.experimental.registerLoadBalancerType)(
    HEALTH_CHECK_POLICY_NAME,
    HealthCheckLoadBalancer,
    HealthCheckLoadBalancingConfig,
  );
}

const GRPC_JS_ENTRY = `${sep}@grpc${sep}grpc-js${sep}build${sep}src${sep}index.js`;
const warnedCopies = new Set<string>();

/** Loaded copies of grpc-js (by entry file) whose policy registry lacks `health_check`. */
export function unregisteredGrpcJsCopies(): string[] {
  const cache = createRequire(import.meta.url).cache;
  const copies: string[] = [];
  for (const [file, module] of Object.entries(cache)) {
    if (!file.endsWith(GRPC_JS_ENTRY)) continue;
    const experimental = (module?.exports as Partial<GrpcModule> | undefined)?.experimental;
    if (experimental?.isLoadBalancerNameRegistered && !experimental.isLoadBalancerNameRegistered(HEALTH_CHECK_POLICY_NAME)) {
      copies.push(file.slice(0, -`${sep}build${sep}src${sep}index.js`.length));
    }
  }
  return copies;
}

/** The text logged once per copy of grpc-js found without the policy. */
export function duplicateGrpcJsWarning(copy: string): string {
  return (
    `health_check: another copy of @grpc/grpc-js is loaded (${copy}) and the health_check policy is not registered ` +
    `with it: channels made with that copy skip health checking and send RPCs to NOT_SERVING backends. ` +
    `Fix: pass your module, registerHealthCheckLoadBalancer(grpc) or healthCheckChannelOptions(config, { grpc }), ` +
    `or install one copy (npm ls @grpc/grpc-js; npm dedupe)`
  );
}

/** Logs, once per copy, every loaded grpc-js that lacks the policy. */
export function warnAboutUnregisteredCopies(): void {
  for (const copy of unregisteredGrpcJsCopies()) {
    if (warnedCopies.has(copy)) continue;
    warnedCopies.add(copy);
    warn(duplicateGrpcJsWarning(copy));
  }
}
