import { randomBytes } from 'node:crypto';

export type UserId = string & { readonly __brand: 'UserId' };
export type OrgId = string & { readonly __brand: 'OrgId' };
export type SessionId = string & { readonly __brand: 'SessionId' };
export type InvitationId = string & { readonly __brand: 'InvitationId' };

/** 128 random bits behind a readable prefix: `usr_...`, `org_...`. */
function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

export const newUserId = (): UserId => newId('usr') as UserId;
export const newOrgId = (): OrgId => newId('org') as OrgId;
export const newInvitationId = (): InvitationId => newId('inv') as InvitationId;

const ID_PATTERN = /^[a-z]{3,4}_[A-Za-z0-9_-]{22}$/;

/** Cheap shape check for ids that arrive in URLs. */
export function isWellFormedId(value: string): boolean {
  return ID_PATTERN.test(value);
}
