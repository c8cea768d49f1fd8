// The invite link a host last made for a meeting, kept in this browser, so a reload of the meeting, the
// dashboard's Copy and the meeting's Invite panel hand out one link instead of minting another each time
// (the server keeps only a hash of a link's token: a link cannot be read back once its page is gone).
// Revoking stops every active link of the meeting, the ones shared earlier included.
import { meetingsApi, type IssuedInviteLink } from './meetings.js';

const key = (meetingId: string) => `origo.invite-link.${meetingId}`;

/** A link that has not expired (whether it was revoked, only the server knows). */
export const isUsableInviteLink = (l: IssuedInviteLink | null): l is IssuedInviteLink =>
  l !== null && Date.parse(l.expires_at) > Date.now();

/** The link this browser made for the meeting, while it has not expired (revocation is not known here). */
export function rememberedInviteLink(meetingId: string): IssuedInviteLink | null {
  try {
    const text = localStorage.getItem(key(meetingId));
    if (text === null) return null;
    const link = JSON.parse(text) as IssuedInviteLink;
    if (typeof link.invite_url === 'string' && isUsableInviteLink(link)) return link;
    localStorage.removeItem(key(meetingId));
  } catch {
    // Storage blocked or a value written by something else: nothing remembered.
  }
  return null;
}

function remember(meetingId: string, link: IssuedInviteLink | null): void {
  try {
    if (link === null) localStorage.removeItem(key(meetingId));
    else localStorage.setItem(key(meetingId), JSON.stringify(link));
  } catch {
    // Storage blocked: the link lasts as long as the page.
  }
}

/** Makes a new invite link and remembers it. */
export async function makeInviteLink(meetingId: string): Promise<IssuedInviteLink> {
  const link = await meetingsApi.createInviteLink(meetingId);
  remember(meetingId, link);
  return link;
}

/**
 * The remembered link when the server still has it active, else a new one. Checking costs one request and
 * keeps a link revoked elsewhere (another tab, another host) from being handed out again.
 */
export async function inviteLinkFor(meetingId: string): Promise<IssuedInviteLink> {
  const kept = rememberedInviteLink(meetingId);
  if (kept !== null) {
    const active = await activeInviteLinks(meetingId).catch(() => null);
    if (active === null || active.some((l) => l.id === kept.id)) return kept;
    remember(meetingId, null);
  }
  return makeInviteLink(meetingId);
}

/** The meeting's links that still let people in. */
export async function activeInviteLinks(meetingId: string) {
  const all = await meetingsApi.inviteLinks(meetingId);
  return all.filter((l) => l.status === 'active' && Date.parse(l.expires_at) > Date.now());
}

/** Revokes every active invite link of the meeting; returns how many were revoked. */
export async function revokeInviteLinks(meetingId: string): Promise<number> {
  const active = await activeInviteLinks(meetingId);
  for (const l of active) await meetingsApi.revokeInviteLink(meetingId, l.id);
  remember(meetingId, null);
  return active.length;
}
