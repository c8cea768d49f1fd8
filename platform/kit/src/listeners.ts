// A service with both an HTTP (REST, probes, metrics) and a gRPC listener: bound together on one host,
// closed together (the gRPC server only if it was bound, with a grace period for calls in flight).
import type { GrpcServer } from './grpc.js';
import type { HttpService } from './http.js';

export interface ListenOptions {
  /** Interface to bind; default loopback. */
  host?: string;
  /** 0 (the default) picks a free port. */
  httpPort?: number;
  grpcPort?: number;
}

export interface BoundAddresses {
  http: string;
  /** `host:port` to dial; loopback when bound to every interface. */
  grpc: string;
  /** `host:port` the gRPC server is bound to (`0.0.0.0:9090` on every interface): what to log. */
  grpcListen: string;
}

const GRPC_GRACE_MS = 5000;

export function httpAndGrpc(
  http: HttpService,
  grpc: GrpcServer,
): { listen(options?: ListenOptions): Promise<BoundAddresses>; close(): Promise<void> } {
  let grpcBound = false;
  return {
    async listen(options = {}) {
      const host = options.host ?? '127.0.0.1';
      const { url } = await http.listen(options.httpPort ?? 0, host);
      const port = await grpc.listen(host, options.grpcPort ?? 0);
      grpcBound = true;
      const grpcHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      const listenHost = host.includes(':') ? `[${host}]` : host;
      return { http: url, grpc: `${grpcHost}:${port}`, grpcListen: `${listenHost}:${port}` };
    },
    async close() {
      await Promise.all([http.close(), grpcBound ? grpc.shutdown(GRPC_GRACE_MS) : Promise.resolve()]);
    },
  };
}
