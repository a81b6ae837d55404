/**
 * Mocks for deterministic balancer unit tests (grpc-js tests its policies the same
 * way): a subchannel whose state the test sets, a channel control helper that
 * records what the policy reports, and a fake Watch starter the test answers by hand.
 */
import { type ChannelInterface, connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import type { BackoffOptions, HealthWatchEvent } from '../../src/client/watch-loop.js';
import type { RunningWatch, WatchStarter } from '../../src/balancer/shared-health-check.js';

type Listener = experimental.ConnectivityStateListener;

export const MOCK_TARGET = 'mock:///backends';

/** A subchannel (its own real subchannel) whose connectivity the test drives. */
export class MockSubchannel implements experimental.SubchannelInterface {
  refs = 0;
  private state: ConnectivityState;
  private readonly listeners = new Set<Listener>();
  private readonly healthWatchers = new Set<experimental.HealthListener>();
  readonly channel: ChannelInterface;

  constructor(
    private readonly address: string,
    state: ConnectivityState = ConnectivityState.IDLE,
  ) {
    this.state = state;
    this.channel = { getTarget: () => MOCK_TARGET, address } as unknown as ChannelInterface;
  }

  setState(next: ConnectivityState): void {
    const previous = this.state;
    this.state = next;
    for (const listener of [...this.listeners]) listener(this, previous, next, -1);
  }

  getConnectivityState(): ConnectivityState {
    return this.state;
  }
  addConnectivityStateListener(listener: Listener): void {
    this.listeners.add(listener);
  }
  removeConnectivityStateListener(listener: Listener): void {
    this.listeners.delete(listener);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  startConnecting(): void {}
  getAddress(): string {
    return this.address;
  }
  throttleKeepalive(): void {}
  ref(): void {
    this.refs += 1;
  }
  unref(): void {
    this.refs -= 1;
  }
  getChannelzRef(): never {
    return { kind: 'subchannel', id: 0, name: this.address } as never;
  }
  private healthy = true;
  isHealthy(): boolean {
    return this.healthy;
  }
  setHealthy(healthy: boolean): void {
    this.healthy = healthy;
    for (const watcher of [...this.healthWatchers]) watcher(healthy);
  }
  addHealthStateWatcher(listener: experimental.HealthListener): void {
    this.healthWatchers.add(listener);
  }
  removeHealthStateWatcher(listener: experimental.HealthListener): void {
    this.healthWatchers.delete(listener);
  }
  addDataWatcher(): void {}
  getRealSubchannel(): never {
    return this as never;
  }
  realSubchannelEquals(other: experimental.SubchannelInterface): boolean {
    return other.getRealSubchannel() === (this as unknown);
  }
  getCallCredentials(): never {
    throw new Error('not used');
  }
  getChannel(): never {
    return this.channel as never;
  }
}

/** One fake Watch: the test sends it events. */
export interface FakeWatch {
  address: string;
  service: string;
  stopped: boolean;
  /** The backoff it runs with: the starter's, then each setBackoff's. */
  backoff: BackoffOptions | undefined;
  send(event: HealthWatchEvent): void;
}

/** A Watch starter that records every Watch and lets the test answer. */
export function fakeWatches(): { start: WatchStarter; started: FakeWatch[]; open(): FakeWatch[] } {
  const started: FakeWatch[] = [];
  const start: WatchStarter = (channel, service, backoff, onEvent): RunningWatch => {
    const watch: FakeWatch = {
      address: (channel as unknown as { address: string }).address,
      service,
      stopped: false,
      backoff,
      send: (event) => {
        if (!watch.stopped) onEvent(event);
      },
    };
    started.push(watch);
    return {
      stop: () => {
        watch.stopped = true;
      },
      setBackoff: (next) => {
        watch.backoff = next;
      },
    };
  };
  return { start, started, open: () => started.filter((w) => !w.stopped) };
}

/** A channel control helper that hands out mock subchannels (one per address) and records states. */
export class MockHelper implements experimental.ChannelControlHelper {
  readonly subchannels = new Map<string, MockSubchannel>();
  readonly created: experimental.SubchannelInterface[] = [];
  state: ConnectivityState = ConnectivityState.IDLE;
  picker: experimental.Picker | undefined;

  constructor(private readonly initial: ConnectivityState = ConnectivityState.READY) {}

  createSubchannel(address: experimental.SubchannelAddress): experimental.SubchannelInterface {
    const key = experimental.subchannelAddressToString(address);
    let subchannel = this.subchannels.get(key);
    if (!subchannel) {
      subchannel = new MockSubchannel(key, this.initial);
      this.subchannels.set(key, subchannel);
    }
    this.created.push(subchannel);
    return subchannel;
  }
  updateState(state: ConnectivityState, picker: experimental.Picker): void {
    this.state = state;
    this.picker = picker;
  }
  requestReresolution(): void {}
  addChannelzChild(): void {}
  removeChannelzChild(): void {}

  /** Picks `count` times; the subchannels picked, by address. */
  picks(count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = this.picker!.pick({ metadata: undefined as never, extraPickInfo: {} });
      out.push(result.subchannel ? result.subchannel.getAddress() : experimental.PickResultType[result.pickResultType]!);
    }
    return out;
  }
}

/** Endpoints for `updateAddressList`, one per port on 127.0.0.1. */
export function endpoints(...ports: number[]): experimental.StatusOr<experimental.Endpoint[]> {
  return experimental.statusOrFromValue(ports.map((port) => ({ addresses: [{ host: '127.0.0.1', port }] })));
}
