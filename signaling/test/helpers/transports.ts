// Which SFU transports the media suites run against: both by default, one when SFU_TRANSPORT names
// it (the same switch as the sfu package's media tests).
export type TransportKind = 'werift' | 'ndc';

export function transportsUnderTest(): TransportKind[] {
  const only = process.env['SFU_TRANSPORT'];
  if (only === undefined || only === '') return ['werift', 'ndc'];
  if (only !== 'werift' && only !== 'ndc')
    throw new Error(`SFU_TRANSPORT must be werift or ndc, got ${only}`);
  return [only];
}
