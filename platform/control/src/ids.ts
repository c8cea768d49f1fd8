import { randomBytes } from 'node:crypto';

export type MeetingId = string & { readonly __brand: 'MeetingId' };
export type InvitationId = string & { readonly __brand: 'InvitationId' };
export type LobbyEntryId = string & { readonly __brand: 'LobbyEntryId' };
export type InviteLinkId = string & { readonly __brand: 'InviteLinkId' };
/** Ids issued by the auth service (`usr_...`, `org_...`); control only stores them. */
export type UserId = string & { readonly __brand: 'UserId' };
export type OrgId = string & { readonly __brand: 'OrgId' };

/** 128 random bits behind a readable prefix, the same shape auth uses for its ids. */
function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

export const newMeetingId = (): MeetingId => newId('mtg') as MeetingId;
export const newInvitationId = (): InvitationId => newId('inv') as InvitationId;
export const newLobbyEntryId = (): LobbyEntryId => newId('lby') as LobbyEntryId;
export const newInviteLinkId = (): InviteLinkId => newId('lnk') as InviteLinkId;
/** Identity of a participant who joins without an account (goes into the join token's `sub`). */
export const newGuestIdentity = (): string => newId('gst');

/** A bearer secret (invite token, lobby ticket): 256 random bits. Only its hash is stored. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

const ID_PATTERN = /^[a-z]{3,4}_[A-Za-z0-9_-]{22}$/;

/** Cheap shape check for ids that arrive in URLs, before they reach the database. */
export function isWellFormedId(value: string, prefix?: string): boolean {
  return ID_PATTERN.test(value) && (prefix === undefined || value.startsWith(`${prefix}_`));
}
