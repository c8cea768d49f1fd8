// REST load: sign in, create a meeting, get a join token; repeated by each virtual user.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 bench/k6/rest.ts
// Thresholds mirror what the platform promises; k6 exits non-zero when they are missed.
import { sleep } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { accountFor, createMeeting, joinToken, signIn, signUp } from './lib.ts';

export const options: Options = {
  scenarios: {
    rest: {
      executor: 'ramping-vus',
      startVUs: 1,
      stages: [
        { duration: '20s', target: Number(__ENV.VUS ?? 50) },
        { duration: __ENV.HOLD ?? '60s', target: Number(__ENV.VUS ?? 50) },
        { duration: '10s', target: 0 },
      ],
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:sign-in}': ['p(99)<500'],
    'http_req_duration{name:create-meeting}': ['p(99)<300'],
    'http_req_duration{name:join-token}': ['p(99)<200'],
  },
};

export function setup(): void {
  for (let vu = 1; vu <= Number(__ENV.VUS ?? 50); vu++) signUp(accountFor(vu), `Bench ${vu}`);
}

export default function (): void {
  const account = accountFor(exec.vu.idInTest);
  if (!signIn(account)) return;
  const meeting = createMeeting(`bench ${exec.vu.idInTest}-${exec.vu.iterationInScenario}`);
  if (meeting !== '') joinToken(meeting, `Bench ${exec.vu.idInTest}`);
  sleep(Number(__ENV.THINK_S ?? 1));
}
