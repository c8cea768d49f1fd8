// Issue 11 finding 7: a client's rejoin never depends on its first join token still being valid. Before the
// token expires, signaling has control renew it (ControlService.RefreshJoinToken; its real implementation is
// tested in platform/control) and pushes token_refresh; the renewed token joins after the first expired.
import { afterEach, describe, expect, it } from 'vitest';
import { grpcRoomEventReporter } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { logger, startStack, type Stack } from './helpers/harness.js';
import { startRenewingControl } from './helpers/renewingControl.js';

let stack: Stack | undefined;
const sockets: SignalClient[] = [];
let stopControl: (() => Promise<void>) | undefined;

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await stack?.close();
  stack = undefined;
  await stopControl?.();
  stopControl = undefined;
});

describe('join token renewal', () => {
  it('pushes a renewed token before the first expires, and the renewed one joins after the first expired', async () => {
    const jwk: { value?: string } = {};
    const control = await startRenewingControl(() => jwk.value!, 30);
    stopControl = control.stop;
    stack = await startStack({ reporter: grpcRoomEventReporter(() => control.address, logger) });
    jwk.value = stack.jwk;

    const c = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(c);
    const first = await stack.token('usr_long', { room: 'mtg_long', ttlSeconds: 3 });
    expect(await c.request({ join: { token: first } })).toHaveProperty('joinResponse');
    const refresh = await c.next((m) => 'tokenRefresh' in m, 15_000, 'token_refresh');
    const renewed = (refresh['tokenRefresh'] as Json)['token'] as string;
    expect(renewed).not.toBe(first);
    expect(control.renewals).toEqual(['usr_long']);

    // Wait until the first token has expired (plus the verifier's clock tolerance), then rejoin with each.
    const claims = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString()) as { exp: number };
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (Date.now() / 1000 > claims.exp + 6) {
          clearInterval(t);
          resolve();
        }
      }, 200);
    });
    c.send({ leave: {} });
    await c.closed;
    const stale = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(stale);
    expect(((await stale.request({ join: { token: first } }))['error'] as Json)['code']).toBe(
      'ERROR_CODE_UNAUTHENTICATED',
    );
    const fresh = await SignalClient.open(stack.nodes[0]!.wsUrl);
    sockets.push(fresh);
    expect(await fresh.request({ join: { token: renewed } })).toHaveProperty('joinResponse');
  }, 60_000);
});
