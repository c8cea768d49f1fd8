// Signaling join storm: many participants join one room at once over the signaling WebSocket
// (proto/origo/signal/v1/signal.proto, protobuf JSON in text frames) and the time from opening the
// socket to JoinResponse is measured. Media is not negotiated: this loads signaling, not the SFU.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e PARTICIPANTS=200 bench/k6/join-storm.ts
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import ws from 'k6/ws';
import { accountFor, createMeeting, joinToken, mustHave, signIn, signUp } from './lib.ts';

const joinMs = new Trend('signal_join_ms', true);
const joinFailed = new Counter('signal_join_failed');

const PARTICIPANTS = Number(__ENV.PARTICIPANTS ?? 200);

export const options: Options = {
  scenarios: {
    storm: {
      executor: 'per-vu-iterations',
      vus: PARTICIPANTS,
      iterations: 1,
      maxDuration: '2m',
    },
  },
  thresholds: {
    signal_join_ms: ['p(95)<1000'],
    signal_join_failed: ['count<1'],
  },
};

interface SetupData {
  meetingId: string;
}

export function setup(): SetupData {
  const host = accountFor(0);
  signUp(host, 'Bench host');
  signIn(host);
  return { meetingId: mustHave(createMeeting('join storm'), 'meeting id') };
}

export default function (data: SetupData): void {
  const grant = joinToken(data.meetingId, `Guest ${exec.vu.idInTest}`);
  if (!grant) {
    joinFailed.add(1);
    return;
  }
  const started = Date.now();
  const res = ws.connect(grant.signalingUrl, {}, (socket) => {
    socket.on('open', () => {
      socket.send(JSON.stringify({ requestId: '1', join: { token: grant.token } }));
    });
    socket.on('message', (text: string) => {
      const msg = JSON.parse(text) as { joinResponse?: unknown; error?: unknown };
      if (msg.joinResponse !== undefined) {
        joinMs.add(Date.now() - started);
        // Stay a moment like a participant would, then leave cleanly.
        socket.send(JSON.stringify({ requestId: '2', leave: {} }));
        socket.setTimeout(() => socket.close(), 2000);
      } else if (msg.error !== undefined) {
        joinFailed.add(1);
        socket.close();
      }
    });
    socket.setTimeout(() => {
      joinFailed.add(1);
      socket.close();
    }, 10_000);
  });
  check(res, { 'websocket upgraded': (r) => r !== null && r.status === 101 });
}
