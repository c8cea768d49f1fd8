// node-datachannel (libdatachannel) implementation of the transport seam: ICE, DTLS and SRTP in
// native code on one UDP port per worker (ICE UDP mux), everything above the packet (SDP, RTP
// demultiplexing, header extensions, RTCP) in TypeScript under sfu/src/media/ndc/. The forwarding
// stages see the same interfaces as with werift.
import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { InvalidArgumentError } from './errors.js';
import { loadNdc, ndcLibraryVersion } from './ndc/binding.js';
import type { ConnectionConfig } from './ndc/connection.js';
import { NdcPublisherTransport, type PublisherOptions } from './ndc/NdcPublisher.js';
import { NdcSubscriberTransport } from './ndc/NdcSubscriber.js';
import type { TransportFactory } from './transport.js';

export { NdcPublisherTransport } from './ndc/NdcPublisher.js';
export { NdcSubscriberTransport } from './ndc/NdcSubscriber.js';

export interface NdcTransportOptions {
  /** The UDP port every peer of this worker uses (ICE UDP mux). Default 0: one free port, shared. */
  udpPort?: number;
  /** Addresses put into host candidates instead of the local ones (1:1 NAT, Kubernetes node IP). */
  announcedAddresses?: string[];
  /**
   * Local address to bind. Default: all interfaces, except on a host with no IPv4 address besides
   * loopback (CI, a network namespace, an offline laptop), where 127.0.0.1 is bound because
   * libjuice gathers no loopback candidate otherwise.
   */
  bindAddress?: string;
  /** x-google-start-bitrate put into publisher answers, kbps. Default 1500. */
  startBitrateKbps?: number;
  /** REMB announced to publishers, bps. Default 3,000,000. */
  publisherBitrateBps?: number;
}

/** True when every IPv4 address of the host is a loopback one. */
export function loopbackOnlyHost(): boolean {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return false;
  }
  return true;
}

export class NdcTransportFactory implements TransportFactory {
  private readonly cfg: ConnectionConfig;
  private readonly pub: PublisherOptions;

  constructor(opts: NdcTransportOptions = {}) {
    const port = opts.udpPort ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentError('udpPort must be an integer port (0 for any)');
    }
    const announced = opts.announcedAddresses ?? [];
    for (const a of announced)
      if (isIP(a) === 0) throw new InvalidArgumentError(`announced address ${a} is not an IP`);
    if (opts.bindAddress !== undefined && isIP(opts.bindAddress) === 0) {
      throw new InvalidArgumentError(`bind address ${opts.bindAddress} is not an IP`);
    }
    // Fails here, once, with a typed error when the native binding cannot load.
    loadNdc();
    this.cfg = {
      udpPort: port,
      bindAddress: opts.bindAddress ?? (loopbackOnlyHost() ? '127.0.0.1' : undefined),
      announcedAddresses: [...announced],
    };
    this.pub = {
      startBitrateKbps: opts.startBitrateKbps ?? 1500,
      publisherBitrateBps: opts.publisherBitrateBps ?? 3_000_000,
    };
  }

  /** libdatachannel's version, for logs and reports. */
  get libraryVersion(): string {
    return ndcLibraryVersion();
  }

  createPublisher(): NdcPublisherTransport {
    return new NdcPublisherTransport(this.cfg, this.pub);
  }

  createSubscriber(): NdcSubscriberTransport {
    return new NdcSubscriberTransport(this.cfg);
  }
}
