// The few Vault HTTP calls the rotation job makes: Kubernetes auth login and KV v2 read/write with
// check-and-set, so two overlapping jobs cannot both rotate.
export class VaultError extends Error {
  override readonly name = 'VaultError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface VaultOptions {
  address: string;
  token: string;
  mount: string;
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new VaultError(`Vault answered ${response.status} for ${new URL(url).pathname}`, response.status);
  return response.status === 204 ? undefined : response.json();
}

export async function kubernetesLogin(
  address: string,
  role: string,
  jwt: string,
  mountPath = 'kubernetes',
): Promise<string> {
  const body = (await call(`${address}/v1/auth/${mountPath}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role, jwt }),
  })) as { auth?: { client_token?: string } } | undefined;
  const token = body?.auth?.client_token;
  if (!token) throw new VaultError('Vault login returned no token', 500);
  return token;
}

export async function readKv(
  options: VaultOptions,
  path: string,
): Promise<{ data: Record<string, string>; version: number } | undefined> {
  const body = (await call(`${options.address}/v1/${options.mount}/data/${path}`, {
    headers: { 'x-vault-token': options.token },
  })) as { data?: { data?: Record<string, string>; metadata?: { version?: number } } } | undefined;
  if (!body?.data?.data) return undefined;
  return { data: body.data.data, version: body.data.metadata?.version ?? 0 };
}

/** Writes only if the secret is still at `version` (0: only if it does not exist). */
export async function writeKv(
  options: VaultOptions,
  path: string,
  data: Record<string, string>,
  version: number,
): Promise<void> {
  await call(`${options.address}/v1/${options.mount}/data/${path}`, {
    method: 'POST',
    headers: { 'x-vault-token': options.token, 'content-type': 'application/json' },
    body: JSON.stringify({ options: { cas: version }, data }),
  });
}
