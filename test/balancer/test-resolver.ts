/**
 * A resolver for tests, scheme `healthtest:///<name>`: the test sets and changes
 * the address list (and optionally a service config) of each name at will, to
 * exercise several addresses, backend churn and configs that come from a resolver.
 */
import { experimental, type ChannelOptions } from '@grpc/grpc-js';

type Listener = experimental.ResolverListener;

interface Entry {
  ports: number[];
  serviceConfig?: object;
  listeners: Set<Listener>;
}

const entries = new Map<string, Entry>();

function entry(name: string): Entry {
  let found = entries.get(name);
  if (!found) {
    found = { ports: [], listeners: new Set() };
    entries.set(name, found);
  }
  return found;
}

function push(listener: Listener, { ports, serviceConfig }: Entry): void {
  const endpoints = ports.map((port) => ({ addresses: [{ host: '127.0.0.1', port }] }));
  listener(
    experimental.statusOrFromValue(endpoints),
    {},
    serviceConfig ? experimental.statusOrFromValue(serviceConfig as never) : null,
    'healthtest',
  );
}

class TestResolver implements experimental.Resolver {
  private readonly name: string;
  private answered = false;
  constructor(
    target: experimental.GrpcUri,
    private readonly listener: Listener,
    _options: ChannelOptions,
  ) {
    this.name = target.path;
    entry(this.name).listeners.add(listener);
  }
  // Like grpc-js's static ipv4 resolver: the first request is answered; later
  // results come only from setResolution().
  updateResolution(): void {
    if (this.answered) return;
    this.answered = true;
    const found = entry(this.name);
    process.nextTick(() => push(this.listener, found));
  }
  destroy(): void {
    entry(this.name).listeners.delete(this.listener);
  }
  static getDefaultAuthority(target: experimental.GrpcUri): string {
    return target.path;
  }
}

experimental.registerResolver('healthtest', TestResolver);

/** Sets the addresses (ports on 127.0.0.1) and service config of `name`, and tells every channel using it. */
export function setResolution(name: string, ports: number[], serviceConfig?: object): void {
  const found = entry(name);
  found.ports = ports;
  found.serviceConfig = serviceConfig;
  for (const listener of found.listeners) push(listener, found);
}
