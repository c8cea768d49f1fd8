// Checks on what other services send over gRPC; each problem is reported per field and nothing is
// stored when any is found.
import { AppError, type FieldViolation } from '@origo/kit';
import type { EnqueueRequest, Recipient } from '@origo/proto/notification-rpc';
import { isPlainId } from './ids.js';
import type { EnqueueInput } from './outbox.js';
import type { Content } from './templates/render.js';

const EMAIL =
  /^[^\s@<>()",;:\\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** ITU-T E.164: a plus and up to 15 digits, no leading zero. */
const E164 = /^\+[1-9][0-9]{6,14}$/;
const KEY = /^[A-Za-z0-9._:-]{1,200}$/;
const ORG_ROLES: ReadonlySet<string> = new Set(['admin', 'host', 'member']);

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

export function isE164(value: string): boolean {
  return E164.test(value);
}

export function isHttpUrl(value: string): boolean {
  if (value.length === 0 || value.length > 2000) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export function validateRecipient(r: Recipient, field: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (r.userId !== '' && !isPlainId(r.userId))
    out.push({ field: `${field}.user_id`, message: 'must be an id' });
  if (r.email !== '' && !isEmail(r.email))
    out.push({ field: `${field}.email`, message: 'must be an e-mail address' });
  if (r.phone !== '' && !isE164(r.phone))
    out.push({ field: `${field}.phone`, message: 'must be an E.164 number such as +4915112345678' });
  if (r.displayName.length > 200) out.push({ field: `${field}.display_name`, message: 'is too long' });
  if (r.userId === '' && r.email === '' && r.phone === '')
    out.push({ field, message: 'needs a user_id, an email or a phone' });
  return out;
}

function text(out: FieldViolation[], field: string, value: string, max: number, required = true) {
  if ((required && value.length === 0) || value.length > max)
    out.push({ field, message: `must be ${required ? 1 : 0} to ${max} characters` });
}

function url(out: FieldViolation[], field: string, value: string) {
  if (!isHttpUrl(value)) out.push({ field, message: 'must be an http(s) URL' });
}

/** Turns an Enqueue request into the outbox's input, or throws INVALID_ARGUMENT listing every problem. */
export function enqueueInput(request: EnqueueRequest): EnqueueInput {
  const v: FieldViolation[] = [];
  if (!KEY.test(request.idempotencyKey))
    v.push({ field: 'idempotency_key', message: 'must be 1 to 200 characters of [A-Za-z0-9._:-]' });
  const recipient = request.recipient;
  if (recipient === undefined) v.push({ field: 'recipient', message: 'is required' });
  else v.push(...validateRecipient(recipient, 'recipient'));
  if (request.orgId !== '' && !isPlainId(request.orgId))
    v.push({ field: 'org_id', message: 'must be an id' });
  let content: Content | undefined;
  const params = request.params;
  switch (params?.$case) {
    case 'invitation': {
      const p = params.value;
      text(v, 'invitation.meeting_title', p.meetingTitle, 300);
      text(v, 'invitation.inviter_name', p.inviterName, 200, false);
      text(v, 'invitation.time_zone', p.timeZone, 64);
      text(v, 'invitation.rrule', p.rrule, 500, false);
      url(v, 'invitation.join_url', p.joinUrl);
      content = { kind: 'invitation', params: p };
      break;
    }
    case 'reminder': {
      const p = params.value;
      text(v, 'reminder.meeting_title', p.meetingTitle, 300);
      text(v, 'reminder.time_zone', p.timeZone, 64);
      url(v, 'reminder.join_url', p.joinUrl);
      if (p.startsAtMs <= 0) v.push({ field: 'reminder.starts_at_ms', message: 'must be set' });
      content = { kind: 'reminder', params: p };
      break;
    }
    case 'lobbyWaiting': {
      const p = params.value;
      text(v, 'lobby_waiting.meeting_title', p.meetingTitle, 300);
      text(v, 'lobby_waiting.participant_name', p.participantName, 200);
      url(v, 'lobby_waiting.meeting_url', p.meetingUrl);
      content = { kind: 'lobby_waiting', params: p };
      break;
    }
    case 'recordingReady': {
      const p = params.value;
      text(v, 'recording_ready.meeting_title', p.meetingTitle, 300);
      url(v, 'recording_ready.recording_url', p.recordingUrl);
      content = { kind: 'recording_ready', params: p };
      break;
    }
    case 'passwordReset': {
      const p = params.value;
      url(v, 'password_reset.action_url', p.actionUrl);
      if (p.expiresInMinutes < 1)
        v.push({ field: 'password_reset.expires_in_minutes', message: 'must be set' });
      content = { kind: 'password_reset', params: p };
      break;
    }
    case 'emailVerification': {
      const p = params.value;
      url(v, 'email_verification.action_url', p.actionUrl);
      if (p.expiresInHours < 1)
        v.push({ field: 'email_verification.expires_in_hours', message: 'must be set' });
      content = { kind: 'email_verification', params: p };
      break;
    }
    case 'orgInvitation': {
      const p = params.value;
      if (!isPlainId(p.orgId)) v.push({ field: 'org_invitation.org_id', message: 'must be an id' });
      text(v, 'org_invitation.org_name', p.orgName, 200);
      text(v, 'org_invitation.inviter_name', p.inviterName, 200, false);
      if (!ORG_ROLES.has(p.role))
        v.push({ field: 'org_invitation.role', message: 'must be one of admin, host, member' });
      url(v, 'org_invitation.action_url', p.actionUrl);
      if (p.expiresInHours < 1) v.push({ field: 'org_invitation.expires_in_hours', message: 'must be set' });
      content = { kind: 'org_invitation', params: p };
      break;
    }
    default:
      v.push({ field: 'params', message: 'must name what happened (one of the params cases)' });
  }
  if (content !== undefined && 'timeZone' in content.params) {
    const zone = content.params.timeZone;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      v.push({ field: `${content.kind}.time_zone`, message: 'must be an IANA time zone' });
    }
  }
  if (v.length > 0 || content === undefined || recipient === undefined)
    throw AppError.invalid('Invalid notification', v);
  return {
    idempotencyKey: request.idempotencyKey,
    orgId: request.orgId,
    recipient: {
      userId: recipient.userId,
      email: recipient.email,
      phone: recipient.phone,
      displayName: recipient.displayName,
    },
    content,
  };
}
