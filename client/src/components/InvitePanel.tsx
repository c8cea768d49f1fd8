import { createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import {
  activeInviteLinks,
  inviteLinkFor,
  isUsableInviteLink,
  makeInviteLink,
  revokeInviteLinks,
} from '../api/inviteLinks.js';
import { meetingsApi, type IssuedInviteLink, type Meeting } from '../api/meetings.js';
import { COPIED_MS } from '../lib/clipboard.js';
import { formatWhen } from '../lib/time.js';
import { ConfirmButton } from './ConfirmButton.js';

export interface InvitePanelProps {
  meetingId: string;
  /** The link made earlier in this meeting, kept by the page so reopening the panel reuses it. */
  link: IssuedInviteLink | null;
  onLink: (link: IssuedInviteLink | null) => void;
  onClose: () => void;
}

/** A link's expiry, written as the dashboard writes its dates, in the viewer's own zone. */
const when = (iso: string) => formatWhen(iso);

/**
 * The host's invite control: an invite link (the one this browser made before, else a new one; it
 * carries a revocable, expiring token, so a guest needs no account and no passcode) with copy, and
 * revoke, which stops every link of the meeting: also the ones shared earlier or made on another device.
 */
export function InvitePanel(props: InvitePanelProps): JSX.Element {
  const [meeting, setMeeting] = createSignal<Meeting | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [copied, setCopied] = createSignal<'yes' | 'manual' | null>(null);
  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(copiedTimer));
  /** Active links besides the one shown (shared earlier, or made on another device). */
  const [others, setOthers] = createSignal(0);
  const [revoked, setRevoked] = createSignal<number | null>(null);
  let input!: HTMLInputElement;

  const countOthers = async (shown: IssuedInviteLink | null) => {
    const active = await activeInviteLinks(props.meetingId).catch(() => []);
    setOthers(active.filter((l) => l.id !== shown?.id).length);
  };

  const getLink = async (fresh: boolean) => {
    setBusy(true);
    setError(null);
    setCopied(null);
    try {
      const link = fresh ? await makeInviteLink(props.meetingId) : await inviteLinkFor(props.meetingId);
      props.onLink(link);
      setRevoked(null);
      await countOthers(link);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  onMount(() => {
    meetingsApi
      .get(props.meetingId)
      .then(setMeeting)
      .catch(() => undefined);
    if (isUsableInviteLink(props.link)) void countOthers(props.link);
    else void getLink(false);
  });

  const copy = async () => {
    const l = props.link;
    if (l === null) return;
    try {
      await navigator.clipboard.writeText(l.invite_url);
      setCopied('yes');
      // The button says it worked for a few seconds, then offers to copy again.
      clearTimeout(copiedTimer);
      copiedTimer = setTimeout(() => setCopied((c) => (c === 'yes' ? null : c)), COPIED_MS);
    } catch {
      // Clipboard blocked (insecure origin, permissions): select the text for the person to copy.
      input.focus();
      input.select();
      setCopied('manual');
    }
  };

  const revoke = async () => {
    setBusy(true);
    setError(null);
    try {
      setRevoked(await revokeInviteLinks(props.meetingId));
      props.onLink(null);
      setOthers(0);
      setCopied(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside tabindex="-1" class="side" aria-label="Invite people">
      <div class="row between">
        <h2>Invite people</h2>
        <button type="button" class="small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <Show when={error()}>
        <p class="alert" role="alert">
          {error()}
        </p>
      </Show>
      <Show
        when={props.link}
        fallback={
          <>
            <p class="muted small" role="status">
              {busy()
                ? 'Making an invite link'
                : revoked() === null
                  ? 'No invite link yet.'
                  : `Links revoked: ${revoked()}. Nobody can join with them any more.`}
            </p>
            <Show when={!busy()}>
              <button type="button" class="primary" onClick={() => void getLink(true)}>
                Make a new invite link
              </button>
            </Show>
          </>
        }
      >
        {(l) => (
          <>
            <p class="small">
              Anyone with this link can join without an account
              {meeting()?.lobby_enabled ? ', after a host admits them from the lobby' : ''}, until{' '}
              {when(l().expires_at)}.
            </p>
            <div class="field">
              <label for="invite-link">Invite link</label>
              <input
                id="invite-link"
                ref={input}
                readonly
                value={l().invite_url}
                onFocus={(e) => e.currentTarget.select()}
              />
            </div>
            <div class="row gap wrap">
              <button type="button" class="primary swap-label" onClick={() => void copy()}>
                <span classList={{ off: copied() === 'yes' }}>Copy invite link</span>
                <span classList={{ off: copied() !== 'yes' }}>Link copied</span>
              </button>
              <ConfirmButton
                label="Revoke links"
                name="Revoke links"
                question="Revoke every link made for this meeting?"
                confirmLabel="Revoke all"
                disabled={busy()}
                onConfirm={() => void revoke()}
              />
            </div>
            <p class="muted small">
              Revoking stops this link
              {others() > 0
                ? ` and ${others()} other ${others() === 1 ? 'link' : 'links'} made for this meeting earlier`
                : ''}
              .
            </p>
            <Show when={copied() === 'manual'}>
              <p class="muted small" role="status">
                Copying is blocked here: the link is selected, copy it with your keyboard.
              </p>
            </Show>
          </>
        )}
      </Show>
      <Show when={meeting()?.has_passcode}>
        <p class="muted small">
          People without the link need the meeting passcode you set when you scheduled it.
        </p>
      </Show>
    </aside>
  );
}
