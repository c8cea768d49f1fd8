import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, messageBytes } from '../rtc/chatState.js';
import { charactersLeft, charactersOver, lengthNotice } from './chatLimit.js';

/** 2 bytes of UTF-8 each. */
const ACCENTED = 'é';
/** 3 bytes of UTF-8 each. */
const CJK = '日';
/** Outside the BMP: 4 bytes of UTF-8, two UTF-16 units, one character (CJK Extension B). */
const ASTRAL = '\u{20000}';
const WIDER = '(4096 plain letters do; accented letters, symbols and other scripts take more room)';

describe('the chat composer on message length', () => {
  it('uses the chat service limit of 4096 bytes', () => {
    expect(MAX_MESSAGE_BYTES).toBe(4096);
  });

  it('says nothing for a short message', () => {
    expect(lengthNotice('Hello')).toBeNull();
    expect(lengthNotice('')).toBeNull();
    expect(lengthNotice(CJK.repeat(100))).toBeNull();
  });

  it('counts down the characters left near the limit', () => {
    expect(lengthNotice('a'.repeat(4000))).toEqual({ kind: 'near', text: '96 characters left' });
    expect(lengthNotice('a'.repeat(4095))).toEqual({ kind: 'near', text: '1 character left' });
    expect(lengthNotice('a'.repeat(4096))).toEqual({ kind: 'near', text: '0 characters left' });
  });

  it('says how many characters too long a message is, and the limit', () => {
    expect(lengthNotice('a'.repeat(4096 + 312))).toEqual({
      kind: 'over',
      text: '312 characters too long; messages can be at most 4096 characters',
    });
    expect(lengthNotice('a'.repeat(4097))?.text).toBe(
      '1 character too long; messages can be at most 4096 characters',
    );
    expect(lengthNotice('ab'.repeat(20), 30)?.text).toBe(
      '10 characters too long; messages can be at most 30 characters',
    );
  });

  it('counts characters to remove, not bytes, when characters take several bytes', () => {
    // 'é' is 2 bytes: 2100 of them are 4200 bytes, so 52 (104 bytes) must go.
    expect(charactersOver(ACCENTED.repeat(2100))).toBe(52);
    expect(lengthNotice(ACCENTED.repeat(2100))).toEqual({
      kind: 'over',
      text: `52 characters too long; 2048 characters of this message fit ${WIDER}`,
    });
    // Removing them is enough, and one fewer is not.
    expect(lengthNotice(ACCENTED.repeat(2100 - 52))?.kind).toBe('near');
    expect(lengthNotice(ACCENTED.repeat(2100 - 51))?.kind).toBe('over');
    // A character outside the BMP (4 bytes, two UTF-16 units) counts once.
    expect(charactersOver('a'.repeat(4094) + ASTRAL)).toBe(1);
  });
});

describe('the chat composer speaks of characters only, for text of any script', () => {
  it('counts accented letters left as characters, each taking the room of two plain ones', () => {
    // 2000 accented letters are 4000 bytes: 96 bytes left, room for 48 more of them.
    expect(charactersLeft(ACCENTED.repeat(2000))).toBe(48);
    expect(lengthNotice(ACCENTED.repeat(2000))).toEqual({ kind: 'near', text: '48 characters left' });
    expect(lengthNotice(ACCENTED.repeat(2047))).toEqual({ kind: 'near', text: '1 character left' });
    expect(lengthNotice(ACCENTED.repeat(2048))).toEqual({ kind: 'near', text: '0 characters left' });
    expect(lengthNotice(ACCENTED.repeat(2049))).toEqual({
      kind: 'over',
      text: `1 character too long; 2048 characters of this message fit ${WIDER}`,
    });
  });

  it('counts CJK characters left as characters, never promising room that is not there', () => {
    // 1340 of them are 4020 bytes: 76 bytes left, room for 25 more (75 bytes), not 26.
    expect(lengthNotice(CJK.repeat(1340))).toEqual({ kind: 'near', text: '25 characters left' });
    expect(lengthNotice(CJK.repeat(1365))).toEqual({ kind: 'near', text: '0 characters left' });
    expect(messageBytes(CJK.repeat(1365))).toBe(4095);
    expect(lengthNotice(CJK.repeat(1366))).toEqual({
      kind: 'over',
      text: `1 character too long; 1365 characters of this message fit ${WIDER}`,
    });
    expect(charactersOver(CJK.repeat(1400))).toBe(35);
  });

  it('counts by the widest character in a mixed message', () => {
    // 3990 plain letters and one accented letter: 3992 bytes, 104 left, 52 accented letters.
    expect(lengthNotice(`${'a'.repeat(3990)}${ACCENTED}`)).toEqual({
      kind: 'near',
      text: '52 characters left',
    });
    expect(lengthNotice(`${'a'.repeat(3990)}${CJK}`)).toEqual({ kind: 'near', text: '34 characters left' });
    expect(lengthNotice(`${'a'.repeat(4080)}${ASTRAL}`)).toEqual({ kind: 'near', text: '3 characters left' });
  });

  it('says exactly how many more characters like the widest one fit', () => {
    const samples: Array<[string, string]> = [
      ['a'.repeat(3900), 'a'],
      [ACCENTED.repeat(1990), ACCENTED],
      [`${'a'.repeat(3001)}${ACCENTED.repeat(500)}`, ACCENTED],
      [CJK.repeat(1300), CJK],
      [`${ACCENTED.repeat(1000)}${CJK.repeat(600)}`, CJK],
      [`${'b'.repeat(3990)}${ASTRAL}`, ASTRAL],
    ];
    for (const [text, widest] of samples) {
      const n = charactersLeft(text);
      const label = `${messageBytes(text)} bytes ending in ${JSON.stringify(widest)}`;
      expect(messageBytes(text + widest.repeat(n)), label).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(messageBytes(text + widest.repeat(n + 1)), label).toBeGreaterThan(MAX_MESSAGE_BYTES);
      // Narrower characters fit at least as many.
      expect(messageBytes(text + 'a'.repeat(n)), label).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
  });

  it('is "too long" exactly when the service would refuse the message, and never names bytes', () => {
    const pieces = ['a', ACCENTED, CJK, ASTRAL];
    for (const piece of pieces) {
      let text = 'a'.repeat(3600);
      while (messageBytes(text) <= MAX_MESSAGE_BYTES + 8) {
        const notice = lengthNotice(text);
        const refused = messageBytes(text) > MAX_MESSAGE_BYTES;
        expect(notice?.kind === 'over', `${messageBytes(text)} bytes`).toBe(refused);
        expect(notice?.text ?? '').not.toMatch(/byte/i);
        if (!refused) expect(notice?.text ?? '').toMatch(/^\d+ characters? left$|^$/);
        text += piece;
      }
    }
  });
});
