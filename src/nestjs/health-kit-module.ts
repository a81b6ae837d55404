/**
 * `HealthKitModule.forRoot(...)`: a global Nest module providing {@link HealthServer}
 * and {@link HealthKit}. Built as a dynamic module without decorators, so this
 * package needs no decorator settings and loads no Nest code at run time.
 */
import type { DynamicModule, InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { DependencyChecks } from '../checks/dependency-checks.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions, optionNames } from '../options.js';
import { HEALTH_SERVER_OPTION_NAMES, HealthServer, type HealthServerOptions } from '../server/health-server.js';
import { HEALTH_KIT_SETTING_NAMES, HealthKit, type HealthKitSettings } from './health-kit.js';

/**
 * Dependency checks built by Nest's injector: `useFactory` gets the
 * {@link HealthServer} first, then the providers named in `inject` (from `imports`),
 * e.g. `@nestjs/terminus`'s `HealthCheckService` and its indicators.
 */
export interface HealthKitChecksFactory {
  /** Modules whose providers `inject` names (e.g. `TerminusModule`). */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to `useFactory` after the health server. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Builds the checks; {@link HealthKit} starts them on bootstrap and stops them on shutdown. */
  useFactory: (health: HealthServer, ...dependencies: never[]) => DependencyChecks | Promise<DependencyChecks>;
}

/** Options of {@link HealthKitModule.forRoot}. */
export interface HealthKitModuleOptions extends HealthServerOptions, HealthKitSettings {
  /** Dependency checks that drive statuses, built with Nest's injector. */
  checks?: HealthKitChecksFactory;
}

const MODULE_OPTION_NAMES = [...HEALTH_SERVER_OPTION_NAMES, ...HEALTH_KIT_SETTING_NAMES, 'checks'];
const CHECKS_FACTORY_NAMES = optionNames<HealthKitChecksFactory>({ imports: true, inject: true, useFactory: true });

/**
 * The values of `names` in `options`, read as properties: a class instance's getters
 * (on its prototype, not own keys) count as the plain object's keys do.
 */
function pick<T>(options: object, names: readonly string[]): T {
  const values = options as Record<string, unknown>;
  return Object.fromEntries(names.filter((key) => values[key] !== undefined).map((key) => [key, values[key]])) as T;
}

/** Injection token of the dependency checks (`undefined` when none are configured). */
export const HEALTH_KIT_CHECKS = Symbol('grpc-health-kit:checks');

/**
 * Health for a Nest application.
 *
 * ```ts
 * @Module({ imports: [HealthKitModule.forRoot({ drainMs: 5000 })] })
 * class AppModule {}
 * ```
 */
export class HealthKitModule {
  /**
   * A global module providing {@link HealthServer} (set statuses from your
   * providers) and {@link HealthKit} (registration on the gRPC server, drain).
   *
   * @throws {@link HealthArgumentError} for a bad option (checked now, not at boot).
   */
  static forRoot(options: HealthKitModuleOptions = {}): DynamicModule {
    checkOptions('HealthKitModule options', options, MODULE_OPTION_NAMES);
    const checks = options.checks;
    if (checks !== undefined) {
      checkOptions('HealthKitModule checks', checks, CHECKS_FACTORY_NAMES);
      if (typeof checks.useFactory !== 'function') throw new HealthArgumentError('checks.useFactory must be a function');
    }
    const serverOptions = pick<HealthServerOptions>(options, HEALTH_SERVER_OPTION_NAMES);
    const settings = pick<HealthKitSettings>(options, HEALTH_KIT_SETTING_NAMES);
    // Every value is checked now, not at boot, by building a throw-away server and kit.
    new HealthKit(new HealthServer(serverOptions), undefined, settings);
    return {
      module: HealthKitModule,
      global: true,
      imports: checks?.imports ?? [],
      providers: [
        { provide: HealthServer, useFactory: () => new HealthServer(serverOptions) },
        {
          provide: HEALTH_KIT_CHECKS,
          useFactory: (health: HealthServer, ...dependencies: never[]) => checks?.useFactory(health, ...dependencies),
          inject: [HealthServer, ...(checks?.inject ?? [])],
        },
        {
          provide: HealthKit,
          useFactory: (health: HealthServer, dependencyChecks: DependencyChecks | undefined) =>
            new HealthKit(health, dependencyChecks, settings),
          inject: [HealthServer, HEALTH_KIT_CHECKS],
        },
      ],
      exports: [HealthServer, HealthKit, HEALTH_KIT_CHECKS],
    };
  }
}
