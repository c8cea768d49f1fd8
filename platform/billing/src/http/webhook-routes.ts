// The payment provider's webhook: authenticated by its signature alone (no session, so no CSRF check
// applies: the route never resolves a principal). The signature covers the exact bytes sent, so this route
// reads its body raw, in a scope of its own where no JSON parser runs first.
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { AppError, ErrorCode, type Logger, type ServiceMetrics } from '@origo/kit';
import { publicRoute } from '@origo/auth/client';
import type { InvoiceStore } from '../invoices.js';

/** Stripe's events are a few kilobytes; an invoice with many lines stays well below this. */
const WEBHOOK_BODY_LIMIT = 256 * 1024;

export const STRIPE_WEBHOOK_PATH = '/api/billing/webhooks/stripe';

export function registerWebhookRoutes(
  app: FastifyInstance,
  deps: { invoices: InvoiceStore; logger: Logger; metrics: ServiceMetrics; now?: () => Date },
): void {
  const { invoices, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const received = new Counter({
    name: 'origo_billing_webhooks_total',
    help: 'Payment provider webhooks received, by result (applied, ignored, refused, replayed)',
    labelNames: ['result'],
    registers: [deps.metrics.registry],
  });

  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    scope.post(STRIPE_WEBHOOK_PATH, { ...publicRoute(), bodyLimit: WEBHOOK_BODY_LIMIT }, async (request) => {
      const provider = invoices.provider;
      if (provider === null || provider.name !== 'stripe')
        throw new AppError(
          ErrorCode.NOT_FOUND,
          'No Stripe payment provider is configured (BILLING_PROVIDER)',
          {
            reason: 'provider_missing',
          },
        );
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['stripe-signature'];
      let event;
      try {
        event = provider.verifyWebhook(body, typeof header === 'string' ? header : undefined, now());
      } catch (err) {
        received.inc({ result: 'refused' });
        logger.warn(
          { reason: err instanceof AppError ? err.reason : undefined, request_id: request.id },
          'refused a payment provider webhook',
        );
        throw err;
      }
      let result;
      try {
        result = await invoices.applyEvent(provider.name, event);
      } catch (err) {
        if (err instanceof AppError && err.reason === 'webhook_replayed')
          received.inc({ result: 'replayed' });
        throw err;
      }
      received.inc({ result: result.applied ? 'applied' : 'ignored' });
      logger.info(
        { event_id: event.id, type: event.type, invoice_id: result.invoiceId, applied: result.applied },
        'payment provider webhook',
      );
      return { received: true, event_id: event.id, invoice_id: result.invoiceId, applied: result.applied };
    });
  });
}
