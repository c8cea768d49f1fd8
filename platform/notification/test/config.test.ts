import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@origo/kit';
import { notificationConfigSchema, settingsFromEnv } from '../src/index.js';

describe('notification configuration', () => {
  it('runs on defaults: local outbox for mail, no SMS', () => {
    const settings = settingsFromEnv(loadConfig(notificationConfigSchema, {}));
    expect(settings.smtpUrl).toBeNull();
    expect(settings.sms).toBeNull();
    expect(settings.reminderMinutes).toBe(15);
  });

  it.each([
    [{ SMTP_URL: 'http://mail.example' }, 'SMTP_URL', 'must be a URL starting with smtp:// or smtps://'],
    [{ SMS_API_URL: 'https://api.example/Messages.json' }, 'SMS_ACCOUNT_SID', 'must be set when SMS_API_URL'],
    [{ VAPID_PUBLIC_KEY: 'B'.repeat(87) }, 'VAPID_PRIVATE_KEY', 'must be set together'],
    [{ NOTIFICATION_REMINDER_MINUTES: '0' }, 'NOTIFICATION_REMINDER_MINUTES', 'must be at least 1'],
    [{ VAPID_SUBJECT: 'ops@example.com' }, 'VAPID_SUBJECT', 'mailto:'],
  ])('stops with one line naming the variable for %o', (env, variable, text) => {
    let error: unknown;
    try {
      loadConfig(notificationConfigSchema, env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(text);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });
});
