import { describe, expect, it } from 'vitest';
import { recordingLinkText } from './recordingLink.js';

describe('the page a shared recording link that does not work leads to', () => {
  it('says what happened and to ask the person who shared it for a new link', () => {
    expect(recordingLinkText('invalid').title).toBe('This recording link is not valid');
    expect(recordingLinkText('expired').title).toBe('This recording link has expired');
    expect(recordingLinkText('removed').title).toBe('This recording is no longer available');
    for (const problem of ['invalid', 'expired', 'removed', 'unavailable'])
      expect(recordingLinkText(problem).detail).toMatch(/ask the person who shared it with you/i);
  });

  it('reads an unknown or missing problem as a link that is not valid, never as words from the address', () => {
    expect(recordingLinkText(undefined)).toEqual(recordingLinkText('invalid'));
    expect(recordingLinkText('<b>pay here</b>')).toEqual(recordingLinkText('invalid'));
    expect(recordingLinkText('toString')).toEqual(recordingLinkText('invalid'));
  });
});
