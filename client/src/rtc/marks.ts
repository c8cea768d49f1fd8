// Named moments of a join (performance marks), so the join can be measured and broken down in the page:
// `performance.getEntriesByName('origo:<name>')`. The first occurrence of each is what a breakdown uses.
export type JoinMark =
  | 'join-click'
  | 'socket-open'
  | 'join-response'
  | 'publisher-offer'
  | 'publisher-answer'
  | 'publisher-connected'
  | 'subscriber-offer'
  | 'subscriber-answer'
  | 'subscriber-connected'
  | 'first-remote-track'
  | 'first-remote-frame';

const seen = new Set<JoinMark>();

/** Marks the first occurrence of a moment of this page's join. */
export function mark(name: JoinMark): void {
  if (seen.has(name) || typeof performance === 'undefined') return;
  seen.add(name);
  performance.mark(`origo:${name}`);
}

/** A new join on this page (the marks of the previous one are cleared). */
export function resetMarks(): void {
  seen.clear();
  if (typeof performance !== 'undefined') {
    for (const e of performance.getEntriesByType('mark'))
      if (e.name.startsWith('origo:')) performance.clearMarks(e.name);
  }
}
