// Which WebRTC stacks the media suites run against: both by default, one when SFU_TRANSPORT names it
// (a quick loop while working on one transport).
import type { TransportKind } from '../../src/media/index.js';

const ALL: TransportKind[] = ['werift', 'ndc'];

export function transportsUnderTest(): TransportKind[] {
  const only = process.env['SFU_TRANSPORT'];
  if (only === undefined || only === '') return ALL;
  if (only !== 'werift' && only !== 'ndc')
    throw new Error(`SFU_TRANSPORT must be werift or ndc, got ${only}`);
  return [only];
}
