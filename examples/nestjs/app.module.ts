/**
 * The example's root module: orders.Orders, and gRPC health whose status follows a
 * @nestjs/terminus indicator (heap under a limit) through DependencyChecks.
 */
import { Logger, Module } from '@nestjs/common';
import { HealthCheckService, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import { DependencyChecks, type HealthServer, HealthKitModule } from 'grpc-health-kit/nestjs';
import { OrdersController } from './orders.controller.js';

const logger = new Logger('Health');

@Module({
  imports: [
    HealthKitModule.forRoot({
      // After SIGTERM: NOT_SERVING for this long, so clients move away, then stop.
      drainMs: Number(process.env.DRAIN_MS ?? 5000),
      timeoutMs: 20_000,
      log: (line) => logger.log(line),
      checks: {
        imports: [TerminusModule],
        inject: [HealthCheckService, MemoryHealthIndicator],
        useFactory: (health: HealthServer, terminus: HealthCheckService, memory: MemoryHealthIndicator) =>
          new DependencyChecks(health, { intervalMs: 2000 }).add(
            'heap',
            // terminus.check throws when an indicator is down: the check fails.
            async () => {
              await terminus.check([() => memory.checkHeap('heap', 1024 * 1024 * 1024)]);
            },
            { services: ['orders.Orders'] },
          ),
      },
    }),
  ],
  controllers: [OrdersController],
})
export class AppModule {}
