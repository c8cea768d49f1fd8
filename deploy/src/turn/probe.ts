// One TURN probe: allocate with REST credentials, optionally ask for a permission to a peer that must be
// allowed (the SFU's announced address), release. The outcome feeds the TURN alerts.
import { TurnClient, TurnError, TurnTimeoutError } from './client.js';
import { restCredentials } from './credentials.js';
import type { TransportAddress } from './stun.js';

export type ProbeResult = 'ok' | 'auth_failed' | 'refused' | 'quota' | 'timeout' | 'error';

export interface ProbeOptions {
  server: TransportAddress;
  secret: string;
  /** A peer address that must be relayable; checked with CreatePermission when set. */
  peer?: string;
  timeoutMs?: number;
}

export interface ProbeOutcome {
  result: ProbeResult;
  seconds: number;
  detail: string;
}

export async function probeTurn(options: ProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const { username, password } = restCredentials(options.secret, 'turn-probe', 300);
  let client: TurnClient | undefined;
  try {
    client = await TurnClient.open({
      server: options.server,
      username,
      password,
      timeoutMs: options.timeoutMs ?? 5000,
    });
    const allocation = await client.allocate();
    if (options.peer !== undefined) await client.createPermission(options.peer);
    return {
      result: 'ok',
      seconds: seconds(),
      detail: `relayed ${allocation.relayed.address}:${allocation.relayed.port}`,
    };
  } catch (err) {
    return { result: classify(err), seconds: seconds(), detail: (err as Error).message };
  } finally {
    await client?.close();
  }
}

function classify(err: unknown): ProbeResult {
  if (err instanceof TurnTimeoutError) return 'timeout';
  if (err instanceof TurnError) {
    if (err.code === 401) return 'auth_failed';
    if (err.code === 486 || err.code === 508) return 'quota';
    return 'refused';
  }
  return 'error';
}
