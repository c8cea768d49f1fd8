// What the page a shared recording link leads to says when the link does not open the recording. The
// recording service sends a browser tab there (`/recording-link?problem=...`) instead of showing its
// problem document; the problem picks one of these texts, so a crafted link cannot put words on the page.

export type RecordingLinkProblem = 'invalid' | 'expired' | 'removed' | 'unavailable';

export interface RecordingLinkText {
  title: string;
  detail: string;
}

/** The next step is the same in every case: only the person who shared the link can make a new one. */
const ASK = 'Ask the person who shared it with you for a new link.';

const TEXTS: Readonly<Record<RecordingLinkProblem, RecordingLinkText>> = {
  invalid: {
    title: 'This recording link is not valid',
    detail:
      'The link may be incomplete or mistyped: open it again exactly as you received it. If it still does not work, ask the person who shared it with you for a new link.',
  },
  expired: {
    title: 'This recording link has expired',
    detail: `Shared recording links work for a limited time, and this one's time is up. ${ASK}`,
  },
  removed: {
    title: 'This recording is no longer available',
    detail:
      'The recording was deleted, so links to it no longer work. If you still need it, ask the person who shared it with you.',
  },
  unavailable: {
    title: 'This recording cannot be played yet',
    detail: `The recording is not ready to watch. Try the link again later, or ask the person who shared it with you for a new link.`,
  },
};

/** The text for `problem` as the address carries it; anything unknown reads as a link that is not valid. */
export function recordingLinkText(problem: string | undefined): RecordingLinkText {
  return Object.hasOwn(TEXTS, problem ?? '') ? TEXTS[problem as RecordingLinkProblem] : TEXTS.invalid;
}
