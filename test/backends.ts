/**
 * Backends for balancer tests and the demo: grpc-js servers on 127.0.0.1:0 with a
 * HealthServer and a tiny `Who` RPC that answers with the backend's name. Who's
 * payload is opaque bytes (no protobuf): the balancer never looks inside.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthServer } from '../src/index.js';

const identity = (value: Buffer): Buffer => value;

/** The `Who` service: one unary method with raw-bytes messages. */
export const WHO_SERVICE = {
  who: {
    path: '/test.Backend/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;

/** A client of {@link WHO_SERVICE}. */
export type WhoClient = grpc.Client & {
  who(request: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Buffer>): grpc.ClientUnaryCall;
};
export const WhoClient = grpc.makeGenericClientConstructor(WHO_SERVICE, 'Backend') as unknown as new (
  target: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => WhoClient;

/** One backend. */
export class Backend {
  readonly health = new HealthServer();
  server!: grpc.Server;
  port = 0;
  /** Who calls served. */
  served = 0;
  /** When set, Who calls fail with UNAVAILABLE (still counted in {@link served}). */
  failing = false;
  /** When the last Who call was served, ms since the epoch (sub-ms precision, comparable across processes). */
  lastServedAt = 0;
  /** Peer address (ip:port) of every call, by method path. */
  readonly peers = new Map<string, Set<string>>();
  /** Calls started, by method path. */
  readonly calls = new Map<string, number>();

  /**
   * @param name what Who answers
   * @param health true: our HealthServer; false: no health service; a function:
   *   adds its own health service to the server
   */
  constructor(
    readonly name: string,
    private readonly healthService: boolean | ((server: grpc.Server) => void) = true,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same port) the server. */
  async start(port = this.port): Promise<this> {
    const server = new grpc.Server({
      interceptors: [
        (method, call) => {
          const peers = this.peers.get(method.path) ?? new Set<string>();
          peers.add(call.getPeer());
          this.peers.set(method.path, peers);
          this.calls.set(method.path, (this.calls.get(method.path) ?? 0) + 1);
          return new grpc.ServerInterceptingCall(call);
        },
      ],
    });
    if (typeof this.healthService === 'function') this.healthService(server);
    else if (this.healthService) this.health.addToServer(server);
    server.addService(WHO_SERVICE, {
      who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        this.served += 1;
        this.lastServedAt = performance.timeOrigin + performance.now();
        if (this.failing) callback({ code: grpc.status.UNAVAILABLE, details: `${this.name} is failing` });
        else callback(null, Buffer.from(this.name));
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.server = server;
    return this;
  }

  stop(): void {
    this.server?.forceShutdown();
  }
}

/** Starts `count` backends named b0, b1, ... */
export async function startBackends(count: number, withHealth = true): Promise<Backend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => new Backend(`b${i}`, withHealth).start()));
}

/** A target listing the backends for grpc-js's ipv4 resolver. */
export function ipv4Target(backends: Backend[]): string {
  return `ipv4:${backends.map((b) => b.address).join(',')}`;
}

/** One Who call: resolves with the backend's name, rejects with the grpc error. */
export function who(client: WhoClient, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) =>
    client.who(Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, reply) =>
      error ? reject(error) : resolve(reply!.toString()),
    ),
  );
}
