/**
 * `HealthKit`: the provider that ties a {@link HealthServer} to a Nest application's
 * lifecycle. It registers `grpc.health.v1.Health` on the Nest gRPC microservice's
 * grpc-js server, starts dependency checks when the application has booted, and in
 * `beforeApplicationShutdown` runs the drain: NOT_SERVING, keep serving for
 * `drainMs`, stop the grpc-js server gracefully (ending Watch streams, forced past
 * `timeoutMs`). Nest then closes a server that is already stopped.
 *
 * No Nest code is imported at run time: Nest finds the lifecycle methods by name.
 */
import type { Server } from '@grpc/grpc-js';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { DependencyChecks } from '../checks/dependency-checks.js';
import { drainAndStop, durationOption } from '../drain.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions, optionNames } from '../options.js';
import type { HealthServer } from '../server/health-server.js';

/** What {@link HealthKit} needs besides the health server. */
export interface HealthKitSettings {
  /** Drain after a signal (SIGTERM with `enableShutdownHooks`). Default 5000 ms. */
  drainMs?: number;
  /** From the start of the shutdown, when to force the gRPC server down. Default 30000 ms. */
  timeoutMs?: number;
  /** Where progress lines go (e.g. `(line) => new Logger('Health').log(line)`). Default: nowhere. */
  log?: (line: string) => void;
  /**
   * When the health service is still not registered on a gRPC server this long
   * after bootstrap (`onLoadPackageDefinition` forgotten: every probe would get
   * UNIMPLEMENTED), say so: a process warning and a `log` line. Default 10000 ms;
   * 0 for an application that has no gRPC server.
   */
  registrationTimeoutMs?: number;
}

/** The names of {@link HealthKitSettings}. */
export const HEALTH_KIT_SETTING_NAMES = optionNames<HealthKitSettings>({
  drainMs: true,
  timeoutMs: true,
  log: true,
  registrationTimeoutMs: true,
});

/** Default of {@link HealthKitSettings.registrationTimeoutMs}. */
export const DEFAULT_REGISTRATION_TIMEOUT_MS = 10_000;

/** Default of {@link HealthKitSettings.drainMs}. */
export const DEFAULT_NEST_DRAIN_MS = 5000;
/** Default of {@link HealthKitSettings.timeoutMs}. */
export const DEFAULT_NEST_TIMEOUT_MS = 30_000;

/**
 * Health of one Nest application. Inject it (or the {@link HealthServer} it holds)
 * anywhere; hand its {@link HealthKit.onLoadPackageDefinition} to the gRPC
 * microservice options.
 */
export class HealthKit implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server: Server | undefined;
  private stopping: Promise<boolean> | undefined;
  private readonly drainMs: number;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  private readonly registrationTimeoutMs: number;
  private registrationTimer: NodeJS.Timeout | undefined;

  /** @throws {@link HealthArgumentError} for an unknown setting or a bad value. */
  constructor(
    /** The statuses Check, Watch and List answer. */
    readonly health: HealthServer,
    /** Dependency checks started on bootstrap and stopped first on shutdown, if any. */
    readonly checks: DependencyChecks | undefined,
    settings: HealthKitSettings = {},
  ) {
    checkOptions('HealthKit settings', settings, HEALTH_KIT_SETTING_NAMES);
    this.drainMs = durationOption('drainMs', settings.drainMs, DEFAULT_NEST_DRAIN_MS);
    this.timeoutMs = durationOption('timeoutMs', settings.timeoutMs, DEFAULT_NEST_TIMEOUT_MS);
    this.registrationTimeoutMs = durationOption('registrationTimeoutMs', settings.registrationTimeoutMs, DEFAULT_REGISTRATION_TIMEOUT_MS);
    const log = settings.log;
    if (log !== undefined && typeof log !== 'function') throw new HealthArgumentError('log must be a function');
    // The logger is user code: a throwing one must not break the shutdown.
    this.log = (line) => {
      try {
        log?.(line);
      } catch {
        // Nothing to report it to.
      }
    };
  }

  /**
   * Registers the health service on `server` (the grpc-js server of Nest's gRPC
   * transport) and remembers it, to stop it gracefully on shutdown. One server per
   * application: a second call replaces the first for the drain.
   */
  addToServer(server: Server): void {
    if (typeof server?.addService !== 'function') {
      throw new HealthArgumentError('addToServer needs a grpc-js Server (Nest gRPC transport, onLoadPackageDefinition)');
    }
    this.health.addToServer(server);
    this.server = server;
    clearTimeout(this.registrationTimer);
    // NestMicroservice.close() stops the server (tryShutdown with Nest's
    // `gracefulShutdown: true`) before it runs any lifecycle hook, and open Watch
    // streams would hold tryShutdown forever. So a stop that does not come from
    // our drain still publishes NOT_SERVING and ends the Watch streams.
    const tryShutdown = server.tryShutdown.bind(server);
    server.tryShutdown = (callback) => {
      tryShutdown(callback);
      this.health.shutdown();
      this.health.endWatches();
    };
  }

  /**
   * For Nest's gRPC options: `onLoadPackageDefinition: (pkg, server) => app.get(HealthKit).onLoadPackageDefinition(pkg, server)`.
   */
  readonly onLoadPackageDefinition = (_packageDefinition: unknown, server: Server): void => this.addToServer(server);

  /**
   * Nest calls this once the application has booted: starts the dependency checks.
   * Nest creates the gRPC server after this hook, so whether the health service was
   * registered on it is checked `registrationTimeoutMs` later.
   */
  onApplicationBootstrap(): void {
    this.checks?.start();
    if (this.server !== undefined || this.registrationTimeoutMs === 0) return;
    clearTimeout(this.registrationTimer);
    this.registrationTimer = setTimeout(() => this.reportUnregistered(), this.registrationTimeoutMs);
    this.registrationTimer.unref();
  }

  /** Whether the health service has been registered on a gRPC server. */
  get registered(): boolean {
    return this.server !== undefined;
  }

  private reportUnregistered(): void {
    const message =
      `grpc-health-kit: grpc.health.v1.Health is not registered on the gRPC server ${this.registrationTimeoutMs} ms after bootstrap: ` +
      'every health probe gets UNIMPLEMENTED. Add onLoadPackageDefinition: (pkg, server) => ' +
      'app.get(HealthKit).onLoadPackageDefinition(pkg, server) to the gRPC microservice options ' +
      '(or set registrationTimeoutMs: 0 in an application without a gRPC server)';
    this.log(message);
    process.emitWarning(message, { code: 'GRPC_HEALTH_KIT_NOT_REGISTERED' });
  }

  /**
   * Nest calls this on `app.close()` and, with `enableShutdownHooks`, on a signal.
   * After a signal: NOT_SERVING, drain for `drainMs`, then stop. On a plain
   * `app.close()`: NOT_SERVING and stop at once. Resolves when the server has
   * stopped, at the latest `timeoutMs` after the start; never rejects.
   */
  beforeApplicationShutdown(signal?: string): Promise<void> {
    return this.shutdown(signal === undefined ? 0 : this.drainMs).then(() => undefined);
  }

  /** Runs the drain now (at most once); resolves true when the server stopped gracefully. */
  shutdown(drainMs = this.drainMs): Promise<boolean> {
    clearTimeout(this.registrationTimer);
    this.stopping ??= drainAndStop(this.server, this.health, {
      drainMs: Math.min(drainMs, this.timeoutMs),
      timeoutMs: this.timeoutMs,
      checks: this.checks,
      log: this.log,
    }).stopped;
    return this.stopping;
  }
}
