import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port free right now on `host` (default loopback), for a server a test must start on a fixed port, such
 * as a redis-server or coturn. With `udp`, the same number is also free for UDP.
 */
export async function freePort(options: { udp?: boolean; host?: string } = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!options.udp) return port;
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, host, () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free TCP+UDP port found');
}
