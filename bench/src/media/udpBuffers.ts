// The load generator's UDP receive buffers. Its werift subscribers open their sockets inside werift
// with the kernel's default receive buffer (net.core.rmem_default, 208 KB here). When publishers send a
// delta frame as one burst (libwebrtc's 40 ms send burst), the SFU hands each subscriber its copy at
// once, and 60 subscribers' copies land on one generator core faster than it reads them: the
// generator drops at its own sockets the packets it was asked to measure. This gives every UDP socket
// the generator opens a larger buffer, as a media server's host would have (net.core.rmem_max caps it).
import type * as Dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';

/** The dgram module object itself (its properties are what ES module bindings are synced from). */
const dgram = createRequire(import.meta.url)('node:dgram') as typeof Dgram;

export const GENERATOR_RCVBUF_BYTES = 4 * 1024 * 1024;

let installed = false;

/** Every UDP socket this process opens from now on asks for `bytes` of receive buffer once bound. */
export function enlargeUdpReceiveBuffers(bytes = GENERATOR_RCVBUF_BYTES): void {
  if (installed) return;
  installed = true;
  const original = dgram.createSocket;
  const create = (...args: Parameters<typeof dgram.createSocket>): Dgram.Socket => {
    const socket = original(...args);
    socket.once('listening', () => {
      try {
        socket.setRecvBufferSize(bytes);
      } catch {
        // Refused (a closed socket, or a kernel without the option): the default stays.
      }
    });
    return socket;
  };
  dgram.createSocket = create as typeof dgram.createSocket;
  // werift imports createSocket as an ES module binding; this updates it.
  syncBuiltinESMExports();
}

/** The receive buffer a socket of this process gets when it asks for `bytes` (Linux caps it). */
export function receiveBufferNote(bytes = GENERATOR_RCVBUF_BYTES): string {
  let max = '';
  try {
    max = readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim();
  } catch {
    // not Linux
  }
  const capped = max !== '' && Number(max) < bytes;
  return (
    `generator UDP receive buffers: ${Math.round(bytes / 1024)} KB asked` +
    (capped ? `, capped at net.core.rmem_max ${Math.round(Number(max) / 1024)} KB` : '')
  );
}
