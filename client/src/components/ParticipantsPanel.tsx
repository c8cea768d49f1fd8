import type { ConnectionQuality, ParticipantInfo } from '@origo/proto/signal';
import { For, Show, type JSX } from 'solid-js';
import type { LobbyEntry, RemovedParticipant } from '../api/meetings.js';
import { qualityLabel } from '../rtc/quality.js';
import { canMute, micState } from './participantMic.js';

const MIC_TEXT = { muted: 'Muted', live: 'Unmuted', none: 'No microphone' } as const;

/** The name the row shows, and its buttons' names end with ("Mute Ann", "Remove Ann"). */
function nameOf(p: ParticipantInfo): string {
  return p.name || p.identity;
}

export interface ParticipantsPanelProps {
  selfName: string;
  selfMuted: boolean;
  isHost: boolean;
  others: readonly ParticipantInfo[];
  quality: Record<string, ConnectionQuality>;
  /** Identities with a raised hand (the list under the header has their order). */
  raisedHands: ReadonlySet<string>;
  lobby: readonly LobbyEntry[];
  /** People a host removed (hosts only): they can come back once allowed. */
  removed: readonly RemovedParticipant[];
  locked: boolean;
  onClose: () => void;
  onDecide: (entry: LobbyEntry, admit: boolean) => void;
  onMute: (p: ParticipantInfo) => void;
  onRemove: (p: ParticipantInfo) => void;
  onAllowBack: (r: RemovedParticipant) => void;
  onToggleLock: () => void;
  onEndForAll: () => void;
}

export function ParticipantsPanel(props: ParticipantsPanelProps): JSX.Element {
  return (
    <aside tabindex="-1" class="side" aria-label="Participants">
      <div class="row between">
        <h2>Participants ({props.others.length + 1})</h2>
        <button type="button" class="small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <Show when={props.isHost && props.lobby.length > 0}>
        <h3>Waiting in the lobby</h3>
        <ul class="people">
          <For each={props.lobby}>
            {(e) => (
              <li>
                <span>{e.display_name}</span>
                <span class="row gap">
                  <button type="button" class="primary small" onClick={() => props.onDecide(e, true)}>
                    Admit<span class="sr-only"> {e.display_name}</span>
                  </button>
                  <button type="button" class="small" onClick={() => props.onDecide(e, false)}>
                    Deny<span class="sr-only"> {e.display_name}</span>
                  </button>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <h3>In the meeting</h3>
      <ul class="people">
        <li>
          {/* A long name without spaces wraps inside the panel instead of running past its edge. */}
          <span class="break">
            {props.selfName} (you){props.isHost ? ', host' : ''}
          </span>
          <span class="muted small">{props.selfMuted ? 'Muted' : 'Unmuted'}</span>
        </li>
        <For each={props.others}>
          {(p) => (
            <li>
              <span class="break">
                {nameOf(p)}
                {p.isHost ? ', host' : ''}
                <Show when={props.raisedHands.has(p.identity)}>
                  <span class="small">, hand raised</span>
                </Show>
                <Show when={p.away}>
                  <span class="muted small">, away</span>
                </Show>
                <span class="muted small"> {MIC_TEXT[micState(p)]}</span>
                <Show when={props.quality[p.sid] !== undefined}>
                  <span class="muted small">
                    , connection {qualityLabel(props.quality[p.sid]!).toLowerCase()}
                  </span>
                </Show>
              </span>
              <Show when={props.isHost}>
                <span class="row gap">
                  {/* Mute only while there is a live microphone to mute: the state beside the name already
                      says Muted (or No microphone), so a greyed-out Mute would only look like an offer. */}
                  <Show when={canMute(p)}>
                    <button type="button" class="small" onClick={() => props.onMute(p)}>
                      Mute<span class="sr-only"> {nameOf(p)}</span>
                    </button>
                  </Show>
                  <button type="button" class="small danger-text" onClick={() => props.onRemove(p)}>
                    Remove<span class="sr-only"> {nameOf(p)}</span>
                  </button>
                </span>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={props.isHost && props.removed.length > 0}>
        <h3>Removed</h3>
        <ul class="people">
          <For each={props.removed}>
            {(r) => (
              <li>
                <span>{r.display_name || 'A guest'}</span>
                <button type="button" class="small" onClick={() => props.onAllowBack(r)}>
                  Allow back<span class="sr-only"> {r.display_name || 'A guest'}</span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={props.isHost}>
        <div class="host-actions">
          <button type="button" onClick={() => props.onToggleLock()} aria-pressed={props.locked}>
            {props.locked ? 'Unlock meeting' : 'Lock meeting'}
          </button>
          <button type="button" class="danger" onClick={() => props.onEndForAll()}>
            End meeting for all
          </button>
        </div>
      </Show>
    </aside>
  );
}
