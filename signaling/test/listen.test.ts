// Two Origo instances on one machine must not share the signaling port: uSockets binds with SO_REUSEPORT by
// default, which let a second node take half of the first one's connections (join tokens then failed with
// "signature invalid" against the other instance's key). The second listen now fails with a clear message.
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers/harness.js';

const stacks: Stack[] = [];
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close();
});

describe('the signaling listener', () => {
  it('refuses a port another signaling node already holds, naming the variable to change', async () => {
    const first = await startStack();
    stacks.push(first);
    const port = Number(new URL(first.nodes[0]!.url).port);
    const second = await startStack();
    stacks.push(second);
    await expect(second.nodes[0]!.service.listen(port, '127.0.0.1')).rejects.toThrow(
      /could not listen on 127\.0\.0\.1:\d+ \(in use\?\); set SIGNALING_PORT/,
    );
    // The first node still answers on its port.
    const res = await fetch(`${first.nodes[0]!.url}/health/live`);
    expect(res.status).toBe(200);
  });
});
