// What the chat composer says about a message's length. The chat service counts a message in bytes of
// UTF-8 (platform/chat/src/limits.ts, CHAT_MAX_MESSAGE_BYTES, 4096 by default); people count characters,
// so the composer always speaks of characters, never of bytes:
//
// - near the limit, "N characters left": how many more characters like the widest one already in the
//   message still fit. For plain text (every character one byte) that is exact; for text with accented
//   letters (2 bytes) or CJK characters (3 bytes) the count is of those, so typing N more of them never
//   passes the limit, and the count reaches 0 no later than the limit does.
// - past it, "N characters too long": exactly how many characters must go from the end before it fits.
//
// Send is disabled exactly when the notice says "too long" (kind `over`), and never while it counts down.
import { MAX_MESSAGE_BYTES, messageBytes } from '../rtc/chatState.js';

export interface LengthNotice {
  /** `over`: the message cannot be sent as it is; `near`: it can, and is close to the limit. */
  kind: 'over' | 'near';
  text: string;
}

/** Within this share of the limit the composer says how much room is left. */
const NEAR_SHARE = 0.1;

/** Bytes of UTF-8 for one code point; a lone surrogate is sent as U+FFFD, 3 bytes, as TextEncoder does. */
const bytesOf = (ch: string): number => {
  const c = ch.codePointAt(0) ?? 0;
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
};

/** The most bytes any one character of `text` takes: 1 for plain text (and for no text), up to 4. */
function widestCharacter(text: string): number {
  let widest = 1;
  for (const ch of text) {
    const b = bytesOf(ch);
    if (b > widest) widest = b;
    if (widest === 4) break;
  }
  return widest;
}

/** How many characters (code points) must go from the end of `text` before it fits in `maxBytes`. */
export function charactersOver(text: string, maxBytes: number = MAX_MESSAGE_BYTES): number {
  let bytes = messageBytes(text);
  if (bytes <= maxBytes) return 0;
  const chars = Array.from(text);
  let removed = 0;
  for (let i = chars.length - 1; i >= 0 && bytes > maxBytes; i--) {
    bytes -= bytesOf(chars[i]!);
    removed++;
  }
  return removed;
}

/**
 * How many more characters fit: as many as fit of the widest character already in `text`, so that
 * typing that many more characters like the ones written never passes `maxBytes`. 0 once the message is
 * at (or past) the limit.
 */
export function charactersLeft(text: string, maxBytes: number = MAX_MESSAGE_BYTES): number {
  const left = maxBytes - messageBytes(text);
  return left <= 0 ? 0 : Math.floor(left / widestCharacter(text));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The notice under the composer, or null while the message is well within the limit. `over` exactly
 * when the message is too long to send.
 */
export function lengthNotice(text: string, maxBytes: number = MAX_MESSAGE_BYTES): LengthNotice | null {
  const bytes = messageBytes(text);
  if (bytes > maxBytes) {
    const removed = charactersOver(text, maxBytes);
    const over = plural(removed, 'character');
    // Every character one byte: the limit is that many characters. Otherwise fewer fit, and the notice
    // says how many of the characters written do, without naming a unit the person does not count in.
    const plain = widestCharacter(text) === 1;
    const fit = [...text].length - removed;
    return {
      kind: 'over',
      text: plain
        ? `${over} too long; messages can be at most ${maxBytes} characters`
        : `${over} too long; ${fit} characters of this message fit (${maxBytes} plain letters do; ` +
          'accented letters, symbols and other scripts take more room)',
    };
  }
  if (maxBytes - bytes > maxBytes * NEAR_SHARE) return null;
  return { kind: 'near', text: `${plural(charactersLeft(text, maxBytes), 'character')} left` };
}
