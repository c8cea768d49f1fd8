import type { RoleDefinition } from '@origo/kit';

/**
 * Every role of the platform, in start order: services that others call come first, the gateway (the
 * one public entry) last. Each role's package is imported only when that role starts, so
 * `origo start --role=sfu` never loads the web tier.
 */
const CATALOGUE: Array<{ name: string; description: string; load: () => Promise<RoleDefinition> }> = [];

export const ROLES: RoleDefinition[] = CATALOGUE.map(({ name, description, load }) => ({
  name,
  description,
  async start(ctx) {
    const role = await load();
    return role.start(ctx);
  },
}));
