/**
 * One running health check of one backend connection: the Watch loop over that
 * connection and what it last said. A {@link HealthCheckingSubchannel} owns it;
 * when grpc-js replaces the wrapper (round_robin rebuilds its children on every
 * resolver update) the check is handed to the new wrapper instead of restarting,
 * so the backend stays pickable and the server sees no new stream.
 */
import { type ChannelCredentials, type ChannelInterface, experimental, logVerbosity } from '@grpc/grpc-js';
import { HealthClient as GeneratedHealthClient } from '../generated/grpc/health/v1/health.js';
import { type BackoffOptions, type HealthWatchEvent, HealthWatchLoop } from '../client/watch-loop.js';

/** grpc-js's tracer name for everything this balancer does: `GRPC_TRACE=health_check`. */
export const TRACER_NAME = 'health_check';

/** A backend's health as the balancer sees it. */
export type BackendHealthState =
  /** Not connected: health is not being checked. */
  | 'IDLE'
  /** Connected, waiting for the first health answer. */
  | 'CHECKING'
  /** Health says SERVING: pickable. */
  | 'SERVING'
  /** Health says NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN: not pickable. */
  | 'NOT_SERVING'
  | 'UNKNOWN'
  | 'SERVICE_UNKNOWN'
  /** The Watch stream failed; retried with backoff. Not pickable. */
  | 'FAILED'
  /** The server has no health service: pickable, not checked. */
  | 'UNIMPLEMENTED';

/** One backend's health, for an application's own metrics. */
export interface BackendHealth {
  /** The backend's address, as grpc-js prints it (`127.0.0.1:50051`). */
  address: string;
  /** The health service name checked. */
  service: string;
  state: BackendHealthState;
  /** Whether the balancer may pick it (SERVING or UNIMPLEMENTED). */
  healthy: boolean;
  /** Why, for states other than SERVING: the status or the stream's error. */
  detail: string;
  /** When `state` last changed. */
  since: Date;
}

const loggedUnimplemented = new Set<string>();

/** Writes a line to grpc-js's `health_check` tracer. */
export function trace(address: string, service: string, text: string): void {
  experimental.trace(logVerbosity.DEBUG, TRACER_NAME, `${address} "${service}": ${text}`);
}

/** The Watch loop of one connection and its latest answer. */
export class BackendCheck {
  /** True once the first answer (a status, a failure or UNIMPLEMENTED) has come. */
  answered = false;
  private current: BackendHealth;
  private readonly loop: HealthWatchLoop;
  /** Told after each change of {@link health}; the owning wrapper sets it. */
  onChange: (() => void) | undefined;

  constructor(channel: ChannelInterface, address: string, readonly service: string, backoff: BackoffOptions | undefined) {
    const client = new GeneratedHealthClient('unused', undefined as unknown as ChannelCredentials, {
      channelOverride: channel,
    });
    this.current = { address, service, state: 'CHECKING', healthy: true, detail: 'waiting for the first health answer', since: new Date() };
    this.loop = new HealthWatchLoop(client, service, this.onEvent, { backoff });
    trace(address, service, `starting Watch on the subchannel's connection`);
    this.loop.start();
  }

  /** The latest health (a copy). */
  get health(): BackendHealth {
    return { ...this.current };
  }

  /** Stops the Watch for good. */
  stop(): void {
    this.loop.stop();
  }

  private readonly onEvent = (event: HealthWatchEvent): void => {
    switch (event.type) {
      case 'status': {
        const serving = event.status === 'SERVING';
        this.set(event.status, serving, serving ? '' : `status=${event.status}`);
        break;
      }
      case 'failure':
        this.set('FAILED', false, `health stream failed: ${event.error.message}`);
        break;
      case 'unimplemented': {
        const key = `${this.current.address}\u0000${this.service}`;
        if (!loggedUnimplemented.has(key)) {
          loggedUnimplemented.add(key);
          experimental.log(
            logVerbosity.ERROR,
            `health check is unimplemented at server side, thus health check is disabled for ${this.current.address}`,
          );
        }
        this.set('UNIMPLEMENTED', true, 'the server has no health service');
        break;
      }
    }
    this.answered = true;
    this.onChange?.();
  };

  private set(state: BackendHealthState, healthy: boolean, detail: string): void {
    if (state !== this.current.state) trace(this.current.address, this.service, `health ${state}${detail ? ` (${detail})` : ''}`);
    const since = state !== this.current.state || healthy !== this.current.healthy ? new Date() : this.current.since;
    this.current = { ...this.current, state, healthy, detail, since };
  }
}
