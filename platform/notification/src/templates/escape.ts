// Escaping for the two places user-supplied text ends up in a message.

export { escapeHtml } from '@origo/kit';

/**
 * One line of plain text: control characters (including CR and LF, which would let a title start a
 * new mail header or fake a line of the body) become spaces, and the length is bounded.
 */
export function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}\u2026` : flat;
}
