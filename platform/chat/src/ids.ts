import { randomUUID } from 'node:crypto';
import { AppError } from '@origo/kit';

export const newMessageId = (): string => `msg_${randomUUID().replaceAll('-', '')}`;

/** Meeting ids are join token `room` claims. */
const MEETING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function checkMeetingId(value: string): string {
  if (!MEETING_ID.test(value))
    throw AppError.invalid('Invalid meeting id', [{ field: 'meeting_id', message: 'is not a meeting id' }]);
  return value;
}

/** Identities are join token `sub`s: non-empty, at most 256 characters. */
export function checkIdentity(value: string, field: string): string {
  if (value.length === 0 || value.length > 256)
    throw AppError.invalid(`Invalid ${field}`, [{ field, message: 'must be 1-256 characters' }]);
  return value;
}

export function checkMessageId(value: string): string {
  if (!/^msg_[0-9a-f]{32}$/.test(value)) throw AppError.notFound('Message');
  return value;
}
