import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PLATFORM_PERMISSIONS,
  ROLE_PERMISSIONS,
  installAccessControl,
  requirePermission,
  type Permission,
  type RouteEntry,
} from '../src/index.js';
import { backends, Browser, signIn, signUp, startAuth, type Harness } from './helpers.js';

type Cell = 'anonymous' | 'member' | 'host' | 'admin' | 'outsider' | 'superadmin';
const CELLS: Cell[] = ['anonymous', 'member', 'host', 'admin', 'outsider', 'superadmin'];

/** Expected from the permission map alone: org roles act in org A; the outsider is admin of org B. */
function allowed(cell: Cell, route: RouteEntry): boolean {
  const access = route.access;
  if (access === undefined) throw new Error(`${route.method} ${route.url} declares no access`);
  if (access.kind === 'public') return true;
  if (cell === 'anonymous') return false;
  if (access.kind === 'authenticated') return true;
  if (cell === 'superadmin') return true;
  if (PLATFORM_PERMISSIONS.has(access.permission)) return false;
  if (cell === 'outsider') return false;
  return ROLE_PERMISSIONS[cell].has(access.permission as Permission);
}

describe('route declarations', () => {
  it('refuses to register a route that declares no access', async () => {
    const app = Fastify();
    installAccessControl(app, async () => null);
    app.get('/declared', { ...requirePermission('platform:admin') }, async () => ({}));
    expect(() => app.get('/undeclared', async () => ({}))).toThrow(/declares no access/);
    await app.close();
  });

  it('refuses an org permission without a way to find the organization', () => {
    expect(() => requirePermission('meeting:create')).toThrow(/orgFrom or orgParam/);
  });
});

describe.each(backends)('role x endpoint matrix ($name)', (backend) => {
  let h: Harness;
  const emails: Partial<Record<Cell, string>> = {};
  let orgA = '';
  let target = '';

  beforeAll(async () => {
    h = await startAuth(backend);
    const root = await signUp(h.service, { name: 'Root' }); // first user: superadmin
    const admin = await signUp(h.service, { name: 'Admin A' });
    const host = await signUp(h.service, { name: 'Host' });
    const member = await signUp(h.service, { name: 'Member' });
    const outsider = await signUp(h.service, { name: 'Admin B' });
    const victim = await signUp(h.service, { name: 'Target' });
    orgA = admin.orgId;
    target = victim.userId;
    for (const [who, role] of [
      [host, 'host'],
      [member, 'member'],
      [victim, 'member'],
    ] as const) {
      const res = await admin.browser.post(`/api/orgs/${orgA}/members`, { email: who.email, role });
      expect(res.status).toBe(201);
    }
    Object.assign(emails, {
      superadmin: root.email,
      admin: admin.email,
      host: host.email,
      member: member.email,
      outsider: outsider.email,
    });
  });
  afterAll(async () => {
    await h.close();
    await backend.cleanup();
  });

  it('covers every route of the service, each with a declared access', () => {
    const routes = h.service.routes.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(30);
    for (const route of routes) expect(route.access, `${route.method} ${route.url}`).toBeDefined();
  });

  it('grants exactly what the permission map says and proves each denial', async () => {
    const routes = h.service.routes.filter((r) => r.method !== 'HEAD');
    const failures: string[] = [];
    let denials = 0;
    for (const route of routes) {
      // The session wait holds its request until the session ends; a second shows the access decision.
      const held = route.url === '/api/auth/session/wait' ? '?wait_seconds=1' : '';
      const url = route.url.replace(':orgId', orgA).replace(':userId', target) + held;
      for (const cell of CELLS) {
        // A fresh session per cell: an allowed sign-out or disable must not spoil the next cell.
        const browser =
          cell === 'anonymous' ? new Browser(h.service) : await signIn(h.service, emails[cell] as string);
        const hasBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
        const res = await browser.request(route.method, url, hasBody ? {} : undefined);
        const rbacDenied =
          res.status === 401 || (res.status === 403 && res.body['reason'] === 'missing_permission');
        const expectAllowed = allowed(cell, route);
        if (expectAllowed && rbacDenied)
          failures.push(`${cell} ${route.method} ${route.url}: denied with ${res.status}`);
        if (!expectAllowed) {
          denials += 1;
          const want = cell === 'anonymous' ? 401 : 403;
          if (res.status !== want)
            failures.push(`${cell} ${route.method} ${route.url}: expected ${want}, got ${res.status}`);
          else if (res.headers['content-type']?.toString().includes('application/problem+json') !== true) {
            failures.push(`${cell} ${route.method} ${route.url}: denial is not problem+json`);
          }
        }
      }
      // Re-enable the target in case an allowed cell disabled it.
      await h.service.accounts.setDisabled(target as never, false, { id: 'system' });
    }
    expect(failures).toEqual([]);
    expect(denials).toBeGreaterThan(50);
    // Six sign-ins per route: the table keeps growing, and shared CI machines are slow.
  }, 240_000);

  it('shows every member the directory of ids and names, without disabled accounts', async () => {
    const member = await signIn(h.service, emails.member as string);
    await h.service.accounts.setDisabled(target as never, true, { id: 'system' });
    const res = await member.get(`/api/orgs/${orgA}/directory`);
    await h.service.accounts.setDisabled(target as never, false, { id: 'system' });
    expect(res.status).toBe(200);
    const items = res.body['items'] as Array<Record<string, unknown>>;
    // Org B's admin (the outsider) and the disabled member are not listed; no e-mail, no role.
    expect(items.map((i) => i['display_name']).sort()).toEqual(['Admin A', 'Host', 'Member']);
    expect(Object.keys(items[0]!).sort()).toEqual(['display_name', 'user_id']);
  });

  it('makes the same decision for a bearer access token as for the cookie', async () => {
    const member = await signIn(h.service, emails.member as string);
    const token = (await member.post('/api/auth/token')).body['accessToken'] as string;
    member.cookie = undefined;
    member.bearer = token;
    expect((await member.get(`/api/orgs/${orgA}`)).status).toBe(200);
    const denied = await member.get(`/api/orgs/${orgA}/members`);
    expect(denied.status).toBe(403);
    expect(denied.body['reason']).toBe('missing_permission');
  });
});
