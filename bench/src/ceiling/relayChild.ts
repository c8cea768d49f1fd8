// The ceiling: a minimal Node UDP relay doing what an SFU must do at the least for each packet
// (receive, check the SRTP tag and decrypt, then per subscriber re-encrypt with that subscriber's
// keys, rewrite the SSRC and send) and nothing else. Runs pinned to its own core like the SFU.
import { createSocket } from 'node:dgram';
import { createSrtp, keysFor, RTP_HEADER, type SrtpContext, type SrtpMode } from './srtp.js';

export type RelayMsg =
  | { op: 'config'; reqId: number; mode: SrtpMode | 'plain'; sinkPorts: number[] }
  | { op: 'measure'; reqId: number }
  | { op: 'exit' };

export interface RelayMeasure {
  cpuUs: number;
  packetsIn: number;
  packetsOut: number;
  badTags: number;
  wallMs: number;
}

const sock = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
let mode: SrtpMode | 'plain' = 'reused';
let inCtx: SrtpContext | null = null;
let outCtx: SrtpContext[] = [];
let ports: number[] = [];
let packetsIn = 0;
let packetsOut = 0;
let badTags = 0;
const plain = Buffer.alloc(2048);

sock.on('message', (msg) => {
  packetsIn++;
  if (mode === 'plain') {
    for (let i = 0; i < ports.length; i++) {
      sock.send(msg, ports[i]!, '127.0.0.1');
      packetsOut++;
    }
    return;
  }
  const len = inCtx!.unprotect(msg, msg.length, plain);
  if (len < RTP_HEADER) {
    badTags++;
    return;
  }
  for (let i = 0; i < ports.length; i++) {
    plain.writeUInt32BE(0x1000 + i, 8);
    // A fresh buffer per send: dgram may still hold the previous one.
    const out = Buffer.allocUnsafe(len + 10);
    const n = outCtx[i]!.protect(plain, len, out);
    sock.send(out, 0, n, ports[i]!, '127.0.0.1');
    packetsOut++;
  }
});

const send = (m: unknown): void => {
  process.send?.(m);
};

process.on('message', (m: RelayMsg) => {
  if (m.op === 'config') {
    mode = m.mode;
    ports = m.sinkPorts;
    if (m.mode !== 'plain') {
      inCtx = createSrtp(m.mode, keysFor(0));
      const srtpMode = m.mode;
      outCtx = ports.map((_, i) => createSrtp(srtpMode, keysFor(100 + i)));
    }
    send({ ev: 'reply', reqId: m.reqId, value: null });
  } else if (m.op === 'measure') {
    const c = process.cpuUsage();
    const value: RelayMeasure = {
      cpuUs: c.user + c.system,
      packetsIn,
      packetsOut,
      badTags,
      wallMs: performance.now(),
    };
    send({ ev: 'reply', reqId: m.reqId, value });
  } else if (m.op === 'exit') {
    sock.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));

sock.bind(0, '127.0.0.1', () => send({ ev: 'ready', port: sock.address().port, pid: process.pid }));
