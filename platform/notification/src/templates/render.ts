// Templates of every notification kind: a subject, plain text and HTML for e-mail, a title and body
// for web push, and a short text for SMS. Every value from outside is escaped for where it goes:
// escapeHtml for HTML, oneLine for subjects and single-line fields.
import type {
  EmailVerificationParams,
  InvitationParams,
  LobbyWaitingParams,
  OrgInvitationParams,
  PasswordResetParams,
  RecordingReadyParams,
  ReminderParams,
} from '@origo/proto/notification-rpc';
import type { Kind } from '../kinds.js';
import { escapeHtml, oneLine } from './escape.js';
import { describeRule, formatWhen } from './format.js';

export type Content =
  | { kind: 'invitation'; params: InvitationParams }
  | { kind: 'reminder'; params: ReminderParams }
  | { kind: 'lobby_waiting'; params: LobbyWaitingParams }
  | { kind: 'recording_ready'; params: RecordingReadyParams }
  | { kind: 'password_reset'; params: PasswordResetParams }
  | { kind: 'email_verification'; params: EmailVerificationParams }
  | { kind: 'org_invitation'; params: OrgInvitationParams };

export interface RenderContext {
  /** Name in the greeting; empty for none. */
  recipientName: string;
  /** One-click unsubscribe page for this kind; null for account mails. */
  unsubscribeUrl: string | null;
}

export interface Rendered {
  kind: Kind;
  subject: string;
  text: string;
  html: string;
  push: { title: string; body: string; url: string };
  sms: string;
}

/** What a template says, before it is laid out for each channel. */
interface Draft {
  subject: string;
  /** Paragraphs of plain text (escaped for HTML by the layout). */
  lines: string[];
  action: { label: string; url: string };
  pushBody: string;
  sms: string;
}

function draft(content: Content): Draft {
  switch (content.kind) {
    case 'invitation': {
      const p = content.params;
      const title = oneLine(p.meetingTitle);
      const who = oneLine(p.inviterName) || 'Someone';
      const lines = [`${who} invited you to "${title}" on Origo.`];
      if (p.startsAtMs > 0) lines.push(`When: ${formatWhen(p.startsAtMs, p.timeZone)}`);
      if (p.rrule !== '') lines.push(`Repeats: ${describeRule(p.rrule)}`);
      return {
        subject: `Invitation: ${title}`,
        lines,
        action: { label: 'Join the meeting', url: p.joinUrl },
        pushBody: `${who} invited you to ${title}`,
        sms: `${who} invited you to "${title}": ${p.joinUrl}`,
      };
    }
    case 'reminder': {
      const p = content.params;
      const title = oneLine(p.meetingTitle);
      const when = formatWhen(p.startsAtMs, p.timeZone);
      return {
        subject: `Starts in ${p.minutesBefore} minutes: ${title}`,
        lines: [`"${title}" starts in ${p.minutesBefore} minutes.`, `When: ${when}`],
        action: { label: 'Join the meeting', url: p.joinUrl },
        pushBody: `${title} starts in ${p.minutesBefore} minutes`,
        sms: `"${title}" starts in ${p.minutesBefore} min: ${p.joinUrl}`,
      };
    }
    case 'lobby_waiting': {
      const p = content.params;
      const title = oneLine(p.meetingTitle);
      const who = oneLine(p.participantName, 100) || 'A guest';
      return {
        subject: `${who} is waiting in the lobby of ${title}`,
        lines: [`${who} is waiting in the lobby of "${title}". Admit or turn them away from the meeting.`],
        action: { label: 'Open the meeting', url: p.meetingUrl },
        pushBody: `${who} is waiting in the lobby`,
        sms: `${who} is waiting in the lobby of "${title}": ${p.meetingUrl}`,
      };
    }
    case 'recording_ready': {
      const p = content.params;
      const title = oneLine(p.meetingTitle);
      const minutes = Math.max(1, Math.round(p.durationSeconds / 60));
      return {
        subject: `Recording ready: ${title}`,
        lines: [`The recording of "${title}" (${minutes} min) is ready.`],
        action: { label: 'Watch the recording', url: p.recordingUrl },
        pushBody: `The recording of ${title} is ready`,
        sms: `Recording of "${title}" is ready: ${p.recordingUrl}`,
      };
    }
    case 'password_reset': {
      const p = content.params;
      return {
        subject: 'Reset your Origo password',
        lines: [
          `Someone asked to reset the password of your Origo account. If it was you, open this link within ${describeMinutes(p.expiresInMinutes)}.`,
          'If it was not you, ignore this message; your password stays unchanged.',
        ],
        action: { label: 'Choose a new password', url: p.actionUrl },
        pushBody: 'Password reset requested',
        sms: `Origo password reset: ${p.actionUrl}`,
      };
    }
    case 'email_verification': {
      const p = content.params;
      return {
        subject: 'Confirm your e-mail address for Origo',
        lines: [`Open this link within ${p.expiresInHours} hours to confirm your e-mail address.`],
        action: { label: 'Confirm my address', url: p.actionUrl },
        pushBody: 'Confirm your e-mail address',
        sms: `Confirm your e-mail address for Origo: ${p.actionUrl}`,
      };
    }
    case 'org_invitation': {
      const p = content.params;
      const org = oneLine(p.orgName, 100);
      const who = oneLine(p.inviterName, 100) || 'An administrator';
      return {
        subject: `${who} invited you to join ${org} on Origo`,
        lines: [
          `${who} invited you to join "${org}" on Origo as ${ROLE_PHRASE[p.role] ?? 'a member'}.`,
          `Create your account with this link within ${describeHours(p.expiresInHours)}; it works once.`,
          'If you did not expect this invitation, ignore this message; no account is made without you.',
        ],
        action: { label: 'Create your account', url: p.actionUrl },
        pushBody: `${who} invited you to join ${org}`,
        sms: `${who} invited you to join "${org}" on Origo: ${p.actionUrl}`,
      };
    }
  }
}

const ROLE_PHRASE: Readonly<Record<string, string>> = {
  admin: 'an admin',
  host: 'a host',
  member: 'a member',
};

function describeHours(hours: number): string {
  if (hours % 24 === 0) return hours === 24 ? 'one day' : `${hours / 24} days`;
  return hours === 1 ? 'one hour' : `${hours} hours`;
}

function describeMinutes(minutes: number): string {
  if (minutes % 60 === 0) return minutes === 60 ? 'one hour' : `${minutes / 60} hours`;
  return `${minutes} minutes`;
}

export function render(content: Content, ctx: RenderContext): Rendered {
  const d = draft(content);
  const name = oneLine(ctx.recipientName, 100);
  const greeting = name === '' ? 'Hello,' : `Hello ${name},`;
  const subject = oneLine(d.subject, 180);
  // An invitation may reach an address with no account at all: it says who put the address in.
  const invited = content.kind === 'invitation' || content.kind === 'org_invitation';
  const footer = invited
    ? 'You receive this message because someone invited this address through Origo.'
    : ctx.unsubscribeUrl === null
      ? 'You receive this message because of your Origo account.'
      : 'You receive this message because of your Origo notification settings.';

  const text = [
    greeting,
    '',
    ...d.lines.flatMap((line) => [line, '']),
    `${d.action.label}: ${d.action.url}`,
    '',
    '--',
    footer,
    ...(ctx.unsubscribeUrl === null ? [] : [`Unsubscribe: ${ctx.unsubscribeUrl}`]),
    '',
  ].join('\n');

  const p = (inner: string) => `<p style="margin:0 0 16px">${inner}</p>`;
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family:system-ui,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24;max-width:560px;margin:0 auto;padding:24px">',
    p(escapeHtml(greeting)),
    ...d.lines.map((line) => p(escapeHtml(line))),
    p(
      `<a href="${escapeHtml(d.action.url)}" style="display:inline-block;background:#1d4ed8;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(d.action.label)}</a>`,
    ),
    p(`Or copy this address into your browser: ${escapeHtml(d.action.url)}`),
    `<hr style="border:none;border-top:1px solid #d0d7de;margin:24px 0">`,
    `<p style="margin:0;font-size:13px;color:#57606a">${escapeHtml(footer)}${
      ctx.unsubscribeUrl === null
        ? ''
        : ` <a href="${escapeHtml(ctx.unsubscribeUrl)}" style="color:#57606a">Unsubscribe</a>`
    }</p>`,
    '</body></html>',
    '',
  ].join('\n');

  return {
    kind: content.kind,
    subject,
    text,
    html,
    push: { title: subject, body: oneLine(d.pushBody, 200), url: d.action.url },
    sms: oneLine(d.sms, 320),
  };
}
