import { z } from 'zod';
import { env } from '@origo/kit';

/**
 * Environment variables of the billing role (besides the common ones: ORIGO_DATA, DATABASE_URL,
 * REDIS_URL, LOG_LEVEL). In one process the auth address comes from the AddressBook; distributed,
 * AUTH_URL is required.
 */
export const billingConfigSchema = z.object({
  BILLING_HTTP_PORT: env.port().optional(),
  BILLING_GRPC_PORT: env.port().optional(),
  BILLING_HOST: z.string().min(1).optional(),
  /** Where the browser reaches Origo (the trusted origin of cookie-authenticated changes). */
  ORIGO_PUBLIC_URL: env.url(['http', 'https']).default('http://localhost:8080'),
  AUTH_URL: env.url(['http', 'https']).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).default('origo'),
  AUTH_JWT_AUDIENCE: z.string().min(1).default('origo'),
});
export type BillingEnvConfig = z.infer<typeof billingConfigSchema>;
