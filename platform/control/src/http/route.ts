// One place that turns a route declaration (zod schemas, access rule, responses) into a fastify route
// and into its OpenAPI operation, so the documentation cannot drift from what is validated.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';
import { AppError, parseOrThrow } from '@origo/kit';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A route guard as `@origo/auth` builds them (`requirePermission`, `publicRoute`, ...). */
export type Guard = Pick<RouteShorthandOptions, 'preHandler'> & { config: { access: unknown } };

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
}

export interface RouteContext<P, Q, B> {
  request: FastifyRequest;
  reply: FastifyReply;
  params: P;
  query: Q;
  body: B;
}

export interface HandlerResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: HttpMethod;
  /** fastify path (`/api/meetings/:id`). */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  guard: Guard;
  /** Shown in the OpenAPI operation as `x-permission`: what the caller must hold. */
  permission: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Accepts an `Idempotency-Key` header (creating POSTs). */
  idempotencyKey?: boolean;
  /** Runs before the guard (after authentication), e.g. to load the entity whose org the guard checks. */
  preload?: (request: FastifyRequest) => Promise<void>;
  responses: Record<number, ResponseSpec>;
  handler: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<HandlerResult>;
}

interface RegisteredRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
}

export class RouteTable {
  readonly routes: RegisteredRoute[] = [];

  constructor(
    private readonly app: FastifyInstance,
    /** Resolves the caller before a guarded route's preload; throws UNAUTHENTICATED when required. */
    private readonly authenticate: (request: FastifyRequest, required: boolean) => Promise<void>,
  ) {}

  add<
    P extends z.ZodType = z.ZodUndefined,
    Q extends z.ZodType = z.ZodUndefined,
    B extends z.ZodType = z.ZodUndefined,
  >(spec: RouteSpec<P, Q, B>): void {
    this.routes.push({ spec: spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType> });
    const access = spec.guard.config.access as { kind?: string };
    const required = access.kind !== 'public';
    const guardPre = spec.guard.preHandler;
    const guardHandlers = guardPre === undefined ? [] : Array.isArray(guardPre) ? guardPre : [guardPre];
    this.app.route({
      method: spec.method,
      url: spec.url,
      config: spec.guard.config as never,
      preHandler: [
        async (request: FastifyRequest) => {
          // Who is calling first (401 before anything else), then validation before the guard runs, so
          // `orgFrom` reads parsed values and bad input gets a 400 that names the field.
          await this.authenticate(request, required);
          const parsed = request as FastifyRequest & {
            parsed?: { params: unknown; query: unknown; body: unknown };
          };
          parsed.parsed = {
            params: spec.params
              ? parseOrThrow(spec.params, request.params, 'Invalid path parameters')
              : undefined,
            query: spec.query
              ? parseOrThrow(spec.query, request.query ?? {}, 'Invalid query parameters')
              : undefined,
            body: spec.body ? parseOrThrow(spec.body, request.body ?? {}, 'Invalid request body') : undefined,
          };
          if (spec.preload) await spec.preload(request);
        },
        ...(guardHandlers as never[]),
      ],
      handler: async (request, reply) => {
        const parsed = (
          request as FastifyRequest & { parsed?: { params: unknown; query: unknown; body: unknown } }
        ).parsed;
        if (parsed === undefined) throw AppError.internal('route input was not parsed');
        const result = await spec.handler({
          request,
          reply,
          params: parsed.params as z.infer<P>,
          query: parsed.query as z.infer<Q>,
          body: parsed.body as z.infer<B>,
        });
        for (const [name, value] of Object.entries(result.headers ?? {})) void reply.header(name, value);
        if (result.body === undefined) return reply.code(result.status).send();
        return reply.code(result.status).send(result.body);
      },
    });
  }
}

/** Parsed input of the current request (set by the route table before guards run). */
export function parsedInput(request: FastifyRequest): { params: unknown; query: unknown; body: unknown } {
  const parsed = (request as FastifyRequest & { parsed?: { params: unknown; query: unknown; body: unknown } })
    .parsed;
  return parsed ?? { params: undefined, query: undefined, body: undefined };
}
