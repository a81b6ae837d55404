/**
 * A NestJS gRPC microservice with grpc-health-kit: `grpc.health.v1` next to
 * orders.Orders, status from a terminus indicator, and on SIGTERM a drain inside
 * Nest's lifecycle (NOT_SERVING, DRAIN_MS, graceful stop, exit).
 *
 *   PORT=50051 DRAIN_MS=5000 node dist/examples/nestjs/main.js
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { HealthKit } from 'grpc-health-kit/nestjs';
import { AppModule } from './app.module.js';
import { ORDERS_PROTO } from './orders.controller.js';

const url = `${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 50051}`;
const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
  transport: Transport.GRPC,
  options: {
    package: 'orders',
    protoPath: ORDERS_PROTO,
    url,
    // Registers grpc.health.v1.Health on Nest's grpc-js server.
    onLoadPackageDefinition: (pkg, server) => app.get(HealthKit).onLoadPackageDefinition(pkg, server),
  },
});
// SIGTERM/SIGINT run beforeApplicationShutdown, where HealthKit drains.
app.enableShutdownHooks();
await app.listen();
console.log(`orders listening on ${url}`);
