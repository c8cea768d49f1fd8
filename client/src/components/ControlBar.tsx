import { Show, type JSX } from 'solid-js';

/** The Leave button's id: the host's leave question gives the focus back to it when it closes. */
export const LEAVE_BUTTON_ID = 'leave-button';
export const REACT_BUTTON_ID = 'react-button';

export type Panel = 'none' | 'people' | 'settings' | 'invite' | 'chat';

export interface ControlBarProps {
  micMuted: boolean;
  cameraOff: boolean;
  sharing: boolean;
  /** The browser can share a screen (phone browsers cannot): Share screen is offered only then. */
  canShare: boolean;
  speakerView: boolean;
  panel: Panel;
  isHost: boolean;
  people: number;
  waiting: number;
  /** Chat messages that arrived while the chat was closed. */
  unread: number;
  handRaised: boolean;
  reactionsOpen: boolean;
  onMic: () => void;
  onCamera: () => void;
  onShare: () => void;
  onSpeakerView: () => void;
  onPanel: (panel: Panel) => void;
  onHand: () => void;
  onReactions: () => void;
  /** The host's choice between leaving and ending the meeting for all is open (LeaveChoice). */
  leaveChoiceOpen?: boolean;
  onLeave: () => void;
}

/** The meeting controls; always inside the window (the stage above gives way, never the bar). */
export function ControlBar(props: ControlBarProps): JSX.Element {
  const toggle = (p: Panel) => props.onPanel(props.panel === p ? 'none' : p);
  return (
    <nav class="controls" aria-label="Meeting controls">
      <button type="button" aria-pressed={props.micMuted} onClick={() => props.onMic()}>
        {props.micMuted ? 'Unmute' : 'Mute'}
      </button>
      <button type="button" aria-pressed={props.cameraOff} onClick={() => props.onCamera()}>
        {props.cameraOff ? 'Start video' : 'Stop video'}
      </button>
      <Show when={props.canShare || props.sharing}>
        <button
          type="button"
          aria-pressed={props.sharing}
          classList={{ active: props.sharing }}
          onClick={() => props.onShare()}
        >
          {props.sharing ? 'Stop presenting' : 'Share screen'}
        </button>
      </Show>
      <button type="button" aria-pressed={props.speakerView} onClick={() => props.onSpeakerView()}>
        Speaker view
      </button>
      <button
        type="button"
        data-panel="people"
        aria-pressed={props.panel === 'people'}
        onClick={() => toggle('people')}
      >
        Participants ({props.people}){props.isHost && props.waiting > 0 ? `, ${props.waiting} waiting` : ''}
      </button>
      <button
        type="button"
        data-panel="chat"
        aria-pressed={props.panel === 'chat'}
        onClick={() => toggle('chat')}
      >
        Chat{props.unread > 0 ? ` (${props.unread} unread)` : ''}
      </button>
      <button type="button" aria-pressed={props.handRaised} onClick={() => props.onHand()}>
        {props.handRaised ? 'Lower hand' : 'Raise hand'}
      </button>
      <button
        type="button"
        id={REACT_BUTTON_ID}
        aria-pressed={props.reactionsOpen}
        onClick={() => props.onReactions()}
      >
        React
      </button>
      <Show when={props.isHost}>
        <button
          type="button"
          data-panel="invite"
          aria-pressed={props.panel === 'invite'}
          onClick={() => toggle('invite')}
        >
          Invite
        </button>
      </Show>
      <button
        type="button"
        data-panel="settings"
        aria-pressed={props.panel === 'settings'}
        onClick={() => toggle('settings')}
      >
        Devices
      </button>
      <button
        type="button"
        id={LEAVE_BUTTON_ID}
        class="danger"
        aria-expanded={props.isHost ? (props.leaveChoiceOpen ?? false) : undefined}
        onClick={() => props.onLeave()}
      >
        Leave
      </button>
    </nav>
  );
}
