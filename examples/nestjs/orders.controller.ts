/** The example's own gRPC service, as Nest users write one. */
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { fileURLToPath } from 'node:url';

/** orders.proto in the source tree (this file runs from dist/examples/nestjs/). */
export const ORDERS_PROTO = fileURLToPath(new URL('../../../examples/nestjs/orders.proto', import.meta.url));

interface GetOrderRequest {
  id: string;
}

interface Order {
  id: string;
  servedBy: string;
}

@Controller()
export class OrdersController {
  @GrpcMethod('Orders', 'GetOrder')
  getOrder(request: GetOrderRequest): Order {
    return { id: request.id, servedBy: 'nest' };
  }
}
