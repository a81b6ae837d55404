/**
 * The example Nest app's orders.Orders for tests: a typed client (proto-loader, as
 * the app loads it), a grpc-js backend serving it next to the app, a free port.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createServer } from 'node:net';
import { HealthServer } from '../../src/index.js';
import { ORDERS_PROTO } from '../../examples/nestjs/orders.controller.js';
import { startServer, type RunningServer } from '../helpers.js';

interface Order {
  id: string;
  servedBy: string;
}

/** A client of orders.Orders. */
export type OrdersClient = grpc.Client & {
  getOrder(
    request: { id: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: grpc.requestCallback<Order>,
  ): grpc.ClientUnaryCall;
};

const ordersPackage = grpc.loadPackageDefinition(protoLoader.loadSync(ORDERS_PROTO)) as unknown as {
  orders: { Orders: grpc.ServiceClientConstructor };
};

/** A client constructor for orders.Orders. */
export const OrdersClient = ordersPackage.orders.Orders as unknown as new (
  target: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => OrdersClient;

/** One GetOrder call: resolves with who served it. */
export function getOrder(client: OrdersClient, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) =>
    client.getOrder({ id: '1' }, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, order) =>
      error ? reject(error) : resolve(order!.servedBy),
    ),
  );
}

/** A plain grpc-js server with orders.Orders (served by `name`) and health. */
export async function startOrdersBackend(name: string): Promise<RunningServer & { health: HealthServer }> {
  const health = new HealthServer({ statuses: { 'orders.Orders': 'SERVING' } });
  const running = await startServer((server) => {
    health.addToServer(server);
    server.addService(ordersPackage.orders.Orders.service, {
      getOrder: (call: grpc.ServerUnaryCall<{ id: string }, Order>, callback: grpc.sendUnaryData<Order>) =>
        callback(null, { id: call.request.id, servedBy: name }),
    });
  });
  return { ...running, health };
}

/** A port free on 127.0.0.1 a moment ago, for a child that cannot report the one it bound. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
