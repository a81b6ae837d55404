/** Helpers for balancer tests: waiting on backend health events, counting traffic. */
import * as grpc from '@grpc/grpc-js';
import { type BackendHealth, backendHealth, healthCheckChannelOptions, onBackendHealthChange } from '../../src/index.js';
import { type Backend, who, WhoClient } from '../backends.js';
import { within } from '../helpers.js';

/** Waits until `condition` holds for the current backend health, re-checking on each change. */
export async function healthSettles(condition: (all: BackendHealth[]) => boolean, ms: number, what: string): Promise<void> {
  if (condition(backendHealth())) return;
  let unsubscribe: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    unsubscribe = onBackendHealthChange(() => {
      if (condition(backendHealth())) resolve();
    });
  });
  try {
    await within(settled, ms, what);
  } finally {
    unsubscribe();
  }
}

/** The health entry of one backend (by port) in the current snapshot. */
export function healthOf(backend: Backend, all = backendHealth()): BackendHealth | undefined {
  return all.find((h) => h.address === backend.address);
}

/** A Who client whose channel checks `service` with round_robin; own connections. */
export function healthCheckedClient(target: string, config: object | string = '', extra: grpc.ChannelOptions = {}): WhoClient {
  return new WhoClient(target, grpc.credentials.createInsecure(), {
    ...healthCheckChannelOptions(config),
    'grpc.use_local_subchannel_pool': 1,
    ...extra,
  });
}

/** Sends `count` Who calls one after another; returns how many each backend answered. */
export async function spread(client: WhoClient, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const name = await who(client);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
