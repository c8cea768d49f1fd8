// The notification kinds and channels, and which channels each kind may use.

export const CHANNELS = ['email', 'push', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export const KINDS = [
  'invitation',
  'reminder',
  'lobby_waiting',
  'recording_ready',
  'password_reset',
  'email_verification',
  'org_invitation',
] as const;
export type Kind = (typeof KINDS)[number];

export interface KindPolicy {
  /** Channels used when the user has not chosen. */
  defaults: readonly Channel[];
  /** Account mails a user cannot turn off or unsubscribe from: the account depends on them. */
  mandatory: boolean;
  /** Shown on the preferences page. */
  label: string;
  /** Only addresses without an account receive it, so account holders have no preference to set. */
  accountless?: true;
}

export const KIND_POLICY: Readonly<Record<Kind, KindPolicy>> = {
  invitation: { defaults: ['email'], mandatory: false, label: 'Meeting invitations' },
  reminder: { defaults: ['email', 'push'], mandatory: false, label: 'Reminders before meetings' },
  lobby_waiting: { defaults: ['push', 'email'], mandatory: false, label: 'Someone waits in your lobby' },
  recording_ready: { defaults: ['email'], mandatory: false, label: 'A recording is ready' },
  password_reset: { defaults: ['email'], mandatory: true, label: 'Password reset links' },
  email_verification: { defaults: ['email'], mandatory: true, label: 'E-mail address confirmation' },
  // Sent only to addresses without an account, which may unsubscribe from it like from meeting invitations.
  org_invitation: {
    defaults: ['email'],
    mandatory: false,
    label: 'Invitations to join an organization',
    accountless: true,
  },
};

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}
