import { describe, expect, it } from 'vitest';
import { LinkSigner, presignGet } from '../src/links.js';

describe('time-limited links', () => {
  it('presigns an S3 GET as AWS documents it (Signature Version 4, query parameters)', () => {
    // The example of "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
    const url = presignGet({
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      region: 'us-east-1',
      credentials: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      },
      expiresInS: 86400,
      now: new Date('2013-05-24T00:00:00Z'),
    });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('accepts its own local links until they expire, and nothing altered', () => {
    const signer = new LinkSigner('k1');
    const now = 1_800_000_000;
    const query = new URLSearchParams(signer.query('rec_a', now + 60));
    const signature = query.get('signature')!;
    expect(signer.verify('rec_a', now + 60, signature, now)).toBe(true);
    expect(signer.verify('rec_a', now + 60, signature, now + 61)).toBe(false);
    expect(signer.verify('rec_b', now + 60, signature, now)).toBe(false);
    expect(signer.verify('rec_a', now + 3600, signature, now)).toBe(false);
    expect(new LinkSigner('k2').verify('rec_a', now + 60, signature, now)).toBe(false);
    expect(signer.verify('rec_a', now + 60, 'AAAA', now)).toBe(false);
  });
});
