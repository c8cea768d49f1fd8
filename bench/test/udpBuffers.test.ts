// The generator's sockets get the larger receive buffer even when opened through an ES module binding
// of createSocket, as werift opens them.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { enlargeUdpReceiveBuffers, receiveBufferNote } from '../src/media/udpBuffers.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  sockets.push(s);
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

const linux = process.platform === 'linux';

describe.skipIf(!linux)('generator UDP receive buffers', () => {
  it('asks every socket opened afterwards for the larger buffer, up to net.core.rmem_max', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const before = (await bound()).getRecvBufferSize();
    const asked = 1024 * 1024;
    enlargeUdpReceiveBuffers(asked);
    const after = await bound();
    // Linux doubles what it grants (bookkeeping); the grant is the smaller of the ask and the cap.
    const granted = after.getRecvBufferSize();
    expect(granted).toBeGreaterThanOrEqual(Math.min(asked, rmemMax));
    expect(granted).toBeGreaterThanOrEqual(before);
    expect(receiveBufferNote(asked)).toMatch(/^generator UDP receive buffers: 1024 KB asked/);
  });
});
