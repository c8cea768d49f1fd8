/* global process, console */
// Init container of the SFU in the prod overlay: asks the Kubernetes API for the external address of the
// node this pod runs on and writes it where the SFU container reads SFU_ANNOUNCED_ADDRESSES_FILE.
// Usage: node node-address.mjs <output file>; needs NODE_NAME (downward API) and get on nodes.
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
const [output] = process.argv.slice(2);
const node = process.env.NODE_NAME;
const type = process.env.ADDRESS_TYPE ?? 'ExternalIP';
if (!output || !node) {
  console.error('node-address: usage: NODE_NAME=<node> node node-address.mjs <output file>');
  process.exit(2);
}
const [token, ca] = await Promise.all([readFile(`${SA}/token`, 'utf8'), readFile(`${SA}/ca.crt`, 'utf8')]);
const host = process.env.KUBERNETES_SERVICE_HOST;
const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
const { status, text } = await new Promise((resolve, reject) => {
  const req = request(
    {
      host,
      port,
      path: `/api/v1/nodes/${encodeURIComponent(node)}`,
      ca,
      timeout: 10_000,
      headers: { authorization: `Bearer ${token.trim()}` },
    },
    (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (data += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
    },
  );
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', reject);
  req.end();
});
if (status !== 200) {
  console.error(`node-address: the API answered ${status} for node ${node}`);
  process.exit(1);
}
const body = JSON.parse(text);
const addresses = (body.status?.addresses ?? []).filter((a) => a.type === type).map((a) => a.address);
if (addresses.length === 0) {
  console.error(`node-address: node ${node} has no ${type}`);
  process.exit(1);
}
await writeFile(output, addresses.join(','));
console.error(`node-address: ${node} ${type} ${addresses.join(',')}`);
