// A small Stripe-shaped HTTP server for tests: it speaks the part of Stripe's REST API the adapter uses
// (form-encoded bodies, bearer secret key, Idempotency-Key replays, Stripe's error shape), records the
// customers, products, subscriptions, invoices and invoice items it is sent, and delivers webhooks to
// billing signed the way Stripe signs them. The signing here is written from Stripe's documentation, apart
// from billing's verifier, so a mistake on either side shows.
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Form = Record<string, string>;

export interface PeerInvoice {
  id: string;
  object: 'invoice';
  customer: string;
  currency: string;
  status: 'draft' | 'open' | 'paid' | 'void';
  metadata: Record<string, string>;
  number: string | null;
  due_date: number | null;
  items: Array<{ amount: number; description: string }>;
  total: number;
  form: Form;
}

export interface Delivery {
  status: number;
  body: Record<string, unknown>;
  /** What was sent, to send it again as a replay. */
  payload: string;
  header: string;
}

export interface StripePeer {
  url: string;
  customers: Map<string, Form>;
  products: Map<string, Form>;
  subscriptions: Map<string, Form & { status: string }>;
  invoices: Map<string, PeerInvoice>;
  /** Every request: method, path, idempotency key. */
  requests: Array<{ method: string; path: string; key: string | undefined }>;
  /** The next request whose path matches answers 500, as an outage would, and changes nothing. */
  failOnce(path: RegExp): void;
  /** Marks an invoice paid and tells billing with a signed `invoice.paid` event. */
  pay(invoiceId: string): Promise<Delivery>;
  /** Sends an event about an invoice; options bend the signature for refusal tests. */
  sendInvoiceEvent(
    type: string,
    invoiceId: string,
    options?: { eventId?: string; secret?: string; timestamp?: number; header?: string | null },
  ): Promise<Delivery>;
  /** Sends exactly what was sent before (same body, same signature header). */
  resend(delivery: Delivery): Promise<Delivery>;
  close(): Promise<void>;
}

/** Stripe's header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`. */
export function signStripe(secret: string, timestamp: number, payload: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

function stripeError(res: http.ServerResponse, status: number, message: string, code?: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { type: 'invalid_request_error', message, ...(code ? { code } : {}) } }));
}

function send(res: http.ServerResponse, body: unknown): string {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(text);
  return text;
}

export async function startStripePeer(options: {
  secretKey: string;
  webhookSecret: string;
  /** Where billing takes webhooks; set after billing listens. */
  webhookUrl?: string;
  now?: () => Date;
}): Promise<StripePeer & { webhookUrl: string | undefined; setWebhookUrl(url: string): void }> {
  const now = options.now ?? (() => new Date());
  let webhookUrl = options.webhookUrl;
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_${String(++counter).padStart(6, '0')}`;
  const customers = new Map<string, Form>();
  const products = new Map<string, Form>();
  const subscriptions = new Map<string, Form & { status: string }>();
  const invoices = new Map<string, PeerInvoice>();
  const requests: StripePeer['requests'] = [];
  // Stripe answers a repeated Idempotency-Key with the first answer and creates nothing.
  const replies = new Map<string, string>();
  const failures: RegExp[] = [];

  const metadataOf = (form: Form): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) {
      const m = /^metadata\[([^\]]+)\]$/.exec(k);
      if (m?.[1] !== undefined) out[m[1]] = v;
    }
    return out;
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const key =
      typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    requests.push({ method, path, key });
    const failing = failures.findIndex((f) => f.test(path));
    if (failing !== -1) {
      failures.splice(failing, 1);
      return stripeError(res, 500, 'An unexpected error occurred');
    }
    if (req.headers.authorization !== `Bearer ${options.secretKey}`)
      return stripeError(res, 401, 'Invalid API Key provided');
    if (key !== undefined && replies.has(key)) {
      res.writeHead(200, { 'content-type': 'application/json', 'idempotent-replayed': 'true' });
      return res.end(replies.get(key));
    }
    if (method === 'POST' && req.headers['content-type'] !== 'application/x-www-form-urlencoded')
      return stripeError(res, 400, 'Requests must be form-encoded');
    const form: Form = Object.fromEntries(new URLSearchParams(raw));
    const remember = (text: string) => {
      if (key !== undefined) replies.set(key, text);
    };

    if (method === 'POST' && path === '/v1/customers') {
      const id = nextId('cus');
      customers.set(id, form);
      return remember(send(res, { id, object: 'customer', metadata: metadataOf(form) }));
    }
    let m = /^\/v1\/products\/([^/]+)$/.exec(path);
    if (method === 'GET' && m?.[1] !== undefined) {
      const id = decodeURIComponent(m[1]);
      const product = products.get(id);
      if (product === undefined) return stripeError(res, 404, `No such product: '${id}'`, 'resource_missing');
      return send(res, { id, object: 'product', name: product['name'] });
    }
    if (method === 'POST' && path === '/v1/products') {
      const id = form['id'] ?? nextId('prod');
      if (products.has(id))
        return stripeError(res, 400, 'Product already exists.', 'resource_already_exists');
      products.set(id, form);
      return remember(send(res, { id, object: 'product', name: form['name'] }));
    }
    if (method === 'POST' && path === '/v1/subscriptions') {
      if (form['customer'] === undefined || !customers.has(form['customer']))
        return stripeError(res, 400, 'No such customer', 'resource_missing');
      if (!products.has(form['items[0][price_data][product]'] ?? ''))
        return stripeError(res, 400, 'No such product', 'resource_missing');
      const id = nextId('sub');
      subscriptions.set(id, { ...form, status: 'active' });
      return remember(send(res, { id, object: 'subscription', status: 'active' }));
    }
    m = /^\/v1\/subscriptions\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && m?.[1] !== undefined) {
      const sub = subscriptions.get(decodeURIComponent(m[1]));
      if (sub === undefined) return stripeError(res, 404, 'No such subscription', 'resource_missing');
      sub.status = 'canceled';
      return send(res, { id: m[1], object: 'subscription', status: 'canceled' });
    }
    if (method === 'POST' && path === '/v1/invoices') {
      const customer = form['customer'] ?? '';
      if (!customers.has(customer)) return stripeError(res, 400, 'No such customer', 'resource_missing');
      const id = nextId('in');
      invoices.set(id, {
        id,
        object: 'invoice',
        customer,
        currency: form['currency'] ?? 'usd',
        status: 'draft',
        metadata: metadataOf(form),
        number: form['number'] ?? null,
        due_date: form['due_date'] === undefined ? null : Number(form['due_date']),
        items: [],
        total: 0,
        form,
      });
      return remember(send(res, { id, object: 'invoice', status: 'draft' }));
    }
    if (method === 'POST' && path === '/v1/invoiceitems') {
      const invoice = invoices.get(form['invoice'] ?? '');
      if (invoice === undefined) return stripeError(res, 400, 'No such invoice', 'resource_missing');
      if (invoice.status !== 'draft') return stripeError(res, 400, 'The invoice is not a draft');
      const amount = Number(form['amount']);
      if (!Number.isSafeInteger(amount)) return stripeError(res, 400, 'Invalid integer: amount');
      invoice.items.push({ amount, description: form['description'] ?? '' });
      invoice.total += amount;
      return remember(send(res, { id: nextId('ii'), object: 'invoiceitem', amount }));
    }
    m = /^\/v1\/invoices\/([^/]+)\/(finalize|void)$/.exec(path);
    if (method === 'POST' && m?.[1] !== undefined) {
      const invoice = invoices.get(decodeURIComponent(m[1]));
      if (invoice === undefined) return stripeError(res, 404, 'No such invoice', 'resource_missing');
      if (m[2] === 'finalize') {
        if (invoice.status !== 'draft') return stripeError(res, 400, 'The invoice is already finalized');
        invoice.status = 'open';
      } else {
        if (invoice.status !== 'open') return stripeError(res, 400, 'Only open invoices can be voided');
        invoice.status = 'void';
      }
      return remember(send(res, { id: invoice.id, object: 'invoice', status: invoice.status }));
    }
    return stripeError(res, 404, `Unrecognized request URL (${method}: ${path})`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const deliver = async (payload: string, header: string | null): Promise<Delivery> => {
    if (webhookUrl === undefined) throw new Error('the peer has no webhook URL yet');
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        ...(header === null ? {} : { 'stripe-signature': header }),
      },
      body: payload,
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      payload,
      header: header ?? '',
    };
  };

  const sendInvoiceEvent: StripePeer['sendInvoiceEvent'] = (type, invoiceId, eventOptions = {}) => {
    const invoice = invoices.get(invoiceId);
    if (invoice === undefined) throw new Error(`no invoice ${invoiceId} at the peer`);
    const timestamp = eventOptions.timestamp ?? Math.floor(now().getTime() / 1000);
    // Stripe's event envelope, pretty-printed as Stripe sends it: the signature covers these exact bytes.
    const payload = JSON.stringify(
      {
        id: eventOptions.eventId ?? nextId('evt'),
        object: 'event',
        api_version: '2024-06-20',
        created: timestamp,
        type,
        livemode: false,
        data: {
          object: {
            id: invoice.id,
            object: 'invoice',
            customer: invoice.customer,
            status: invoice.status,
            total: invoice.total,
            currency: invoice.currency,
            attempt_count: type === 'invoice.payment_failed' ? 1 : 0,
            metadata: invoice.metadata,
          },
        },
      },
      null,
      2,
    );
    const header =
      eventOptions.header === undefined
        ? signStripe(eventOptions.secret ?? options.webhookSecret, timestamp, payload)
        : eventOptions.header;
    return deliver(payload, header);
  };

  return {
    url: `http://127.0.0.1:${port}`,
    customers,
    products,
    subscriptions,
    invoices,
    requests,
    failOnce(path) {
      failures.push(path);
    },
    get webhookUrl() {
      return webhookUrl;
    },
    setWebhookUrl(url: string) {
      webhookUrl = url;
    },
    async pay(invoiceId) {
      const invoice = invoices.get(invoiceId);
      if (invoice === undefined) throw new Error(`no invoice ${invoiceId} at the peer`);
      invoice.status = 'paid';
      return sendInvoiceEvent('invoice.paid', invoiceId);
    },
    sendInvoiceEvent,
    resend: (delivery) => deliver(delivery.payload, delivery.header),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
