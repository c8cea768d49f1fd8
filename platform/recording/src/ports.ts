// UDP ports for the recorder: one even port per stream with the next odd one free for RTCP (RFC 3550 11),
// as FFmpeg binds both. Held while they are found so two come out distinct, then released for FFmpeg to bind.
import { createSocket, type Socket } from 'node:dgram';

function bind(host: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind(port, host, () => resolve(socket));
  });
}

/** `count` RTP ports on `host`, each even with port + 1 free at the time of the call. */
export async function reserveRtpPorts(host: string, count: number): Promise<number[]> {
  const held: Socket[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 50) throw new Error(`could not find ${count} free UDP port pairs on ${host}`);
      const a = await bind(host, 0);
      if (a === null) continue;
      held.push(a);
      const port = a.address().port;
      if (port % 2 !== 0 || port >= 65535) continue;
      const b = await bind(host, port + 1);
      if (b === null) continue;
      held.push(b);
      ports.push(port);
    }
    return ports;
  } finally {
    for (const s of held) s.close();
  }
}
