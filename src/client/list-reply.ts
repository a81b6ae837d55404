/**
 * The grpc-js client `HealthClient` runs on: the generated one, except that List
 * replies keep every service name.
 *
 * ts-proto's default decoder assigns map entries into a plain object, so a
 * service named `__proto__` sets the object's prototype instead of becoming an
 * entry. The List reply is decoded here by ts-proto's Map form
 * (`src/generated/wire`, `useMapType`), then handed on in the generated type,
 * as an object without a prototype, where every name is an own property.
 */
import { makeGenericClientConstructor } from '@grpc/grpc-js';
import { HealthClient as GeneratedHealthClient, type HealthListResponse, HealthService } from '../generated/grpc/health/v1/health.js';
import { HealthListResponse as HealthListResponseAsMap } from '../generated/wire/grpc/health/v1/health.js';

/** Decodes a List reply; `statuses` has no prototype, so `__proto__` and `constructor` are entries like any other. */
export function decodeListReply(bytes: Buffer): HealthListResponse {
  const statuses: HealthListResponse['statuses'] = Object.create(null);
  for (const [service, reply] of HealthListResponseAsMap.decode(bytes).statuses) statuses[service] = reply;
  return { statuses };
}

/** The generated client class with {@link decodeListReply} for List. */
export const HealthRpcClient = makeGenericClientConstructor(
  { ...HealthService, list: { ...HealthService.list, responseDeserialize: decodeListReply } },
  GeneratedHealthClient.serviceName,
) as unknown as typeof GeneratedHealthClient;
