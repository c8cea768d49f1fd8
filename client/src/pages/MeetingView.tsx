import { RoomEndReason, TrackKind, TrackSource, type ParticipantInfo } from '@origo/proto/signal';
import {
  createEffect,
  createMemo,
  createSignal,
  For,
  Match,
  onCleanup,
  onMount,
  Show,
  Switch,
  untrack,
  type JSX,
} from 'solid-js';
import { ApiError, errorText } from '../api/http.js';
import { recordingsApi } from '../api/recordings.js';
import { timeLimitEndedParams, timeLimitText } from '../lib/timeLimit.js';
import { watchLobby } from '../api/lobby.js';
import {
  meetingsApi,
  wsUrlFrom,
  type IssuedInviteLink,
  type JoinReady,
  type LobbyEntry,
  type RemovedParticipant,
} from '../api/meetings.js';
import { ChatPanel } from '../components/ChatPanel.js';
import { ControlBar, LEAVE_BUTTON_ID, REACT_BUTTON_ID, type Panel } from '../components/ControlBar.js';
import { DevicesPanel } from '../components/DevicesPanel.js';
import { InvitePanel } from '../components/InvitePanel.js';
import { LeaveChoice } from '../components/LeaveChoice.js';
import { MeetingStage } from '../components/MeetingStage.js';
import { ParticipantsPanel } from '../components/ParticipantsPanel.js';
import { RaisedHands, ReactionsBar, ReactionsShown } from '../components/Reactions.js';
import { AudioSink } from '../components/VideoTile.js';
import { buildTiles, chooseStage } from '../meeting/tiles.js';
import { canShareScreen, listDevices, mediaErrorText, type DeviceLists } from '../rtc/media.js';
import { qualityLabel } from '../rtc/quality.js';
import { RoomClient } from '../rtc/RoomClient.js';

declare global {
  interface Window {
    /** Diagnostics for the end-to-end tests' failure messages: decoded frames and connection states. */
    __origoRoom?: {
      decoded(): Promise<{ camera: number; screen: number; byName: Record<string, number> }>;
      state(): unknown;
    };
  }
}

/** Why Record waits while the media connects. */
const CONNECT_FIRST = 'Recording can start once you are connected.';

export function MeetingView(props: {
  join: JoinReady;
  camera: MediaStreamTrack | null;
  microphone: MediaStreamTrack | null;
  /** `details` go to the page after the meeting (the plan's cap for `time_limit`). */
  onEnded: (reason: string, details?: Record<string, string>) => void;
}): JSX.Element {
  const isHost = props.join.grants.host;
  const room = new RoomClient({
    wsUrl: wsUrlFrom(props.join.signaling_url),
    token: props.join.token,
    camera: props.camera,
    microphone: props.microphone,
    onFirstRemoteFrame: (at) => {
      if (window.__origoMetrics) window.__origoMetrics.firstRemoteFrameAt = at;
    },
  });
  const s = room.state;
  const [joinError, setJoinError] = createSignal<string | null>(null);
  const [panel, setPanel] = createSignal<Panel>('none');
  const [pinned, setPinned] = createSignal<string | null>(null);
  const [speakerView, setSpeakerView] = createSignal(false);
  const [lobby, setLobby] = createSignal<LobbyEntry[]>([]);
  const [removed, setRemoved] = createSignal<RemovedParticipant[]>([]);
  const [locked, setLocked] = createSignal(false);
  const [invite, setInvite] = createSignal<IssuedInviteLink | null>(null);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [devices, setDevices] = createSignal<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  const [speakerId, setSpeakerId] = createSignal<string>('');
  // The clock the length-cap banner counts down with (a tick every 15 s is enough for minutes).
  const [now, setNow] = createSignal(Date.now());
  const clockTimer = setInterval(() => setNow(Date.now()), 15_000);
  onCleanup(() => clearInterval(clockTimer));
  const [reactionsOpen, setReactionsOpen] = createSignal(false);
  const chat = room.chat;
  const selfIdentity = () => s.self?.identity ?? '';
  const handRaised = () => chat.state.hands.some((h) => h.identity === selfIdentity());

  onMount(() => {
    room.join().catch((e: unknown) => setJoinError(errorText(e)));
    const online = () => room.networkChanged();
    window.addEventListener('online', online);
    // NetworkInformation fires `change` for new bandwidth and RTT estimates too; only a new link type
    // (Wi-Fi to cellular, where browsers report it) is a path change worth a resume and an ICE restart.
    const conn = (navigator as Navigator & { connection?: EventTarget & { type?: string } }).connection;
    let linkType = conn?.type;
    const connectionChanged = (): void => {
      if (conn?.type === linkType) return;
      linkType = conn?.type;
      online();
    };
    conn?.addEventListener('change', connectionChanged);
    // The server pushes the lobby (a held request answers when someone knocks): no polling interval.
    const stopLobby = isHost ? watchLobby(props.join.room, setLobby) : () => undefined;
    window.__origoRoom = {
      decoded: async () => {
        const frames = await room.framesDecoded();
        const out = { camera: 0, screen: 0, byName: {} as Record<string, number> };
        for (const [sid, n] of Object.entries(frames)) {
          const t = s.tracks[sid];
          if (t?.info.source === TrackSource.TRACK_SOURCE_SCREEN_SHARE) out.screen += n;
          else out.camera += n;
          const who = t ? s.participants[t.info.participantSid]?.name : undefined;
          if (who) out.byName[who] = (out.byName[who] ?? 0) + n;
        }
        return out;
      },
      state: () => room.debug(),
    };
    onCleanup(() => {
      window.removeEventListener('online', online);
      conn?.removeEventListener('change', connectionChanged);
      stopLobby();
      delete window.__origoRoom;
      if (s.ended === null) room.leave();
    });
  });

  // Messages count as read while the chat is open.
  createEffect(() => chat.setPanelOpen(panel() === 'chat'));

  createEffect(() => {
    const ended = s.ended;
    if (ended === null) return;
    // A meeting ended at its plan's length cap has a page of its own that says so.
    if (ended.reason === 'room_ended' && ended.endReason === RoomEndReason.ROOM_END_REASON_TIME_LIMIT)
      props.onEnded('time_limit', timeLimitEndedParams(untrack(() => s.timeLimit)));
    // The page after says who ended it: the host who did reads "You ended ...".
    else props.onEnded(ended.reason, ended.reason === 'room_ended' && endedHere ? { by: 'you' } : {});
  });

  const selfName = () => s.self?.name ?? props.join.name;
  const others = createMemo(() => Object.values(s.participants));
  // The chat role keeps a hand until it is lowered; someone who left without lowering it is not listed.
  const presentHands = createMemo(() => {
    const here = new Set([selfIdentity(), ...others().map((p) => p.identity)]);
    return chat.state.hands.filter((h) => here.has(h.identity));
  });
  const tiles = createMemo(() =>
    buildTiles({
      selfName: selfName(),
      selfSid: s.self?.sid ?? '',
      micMuted: s.micMuted,
      localVideo: s.localVideo,
      localScreen: s.screenStream,
      participants: others(),
      streamOf: (sid) => s.tracks[sid]?.stream ?? null,
    }),
  );
  const stage = createMemo(() =>
    chooseStage(tiles(), { pinned: pinned(), speakerView: speakerView(), lastSpeaker: s.activeSpeaker }),
  );
  const audioTracks = createMemo(() =>
    Object.values(s.tracks).filter((t) => t.info.kind === TrackKind.TRACK_KIND_AUDIO && t.stream !== null),
  );

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e instanceof DOMException ? mediaErrorText(e) : errorText(e));
    }
  };

  // Control records host actions in the audit log and relays them to signaling; signaling is the
  // fallback when control cannot be reached.
  const muteOther = (p: ParticipantInfo) =>
    act(() => meetingsApi.mute(props.join.room, p.identity).catch(() => room.muteParticipant(p.sid)));
  const removeOther = (p: ParticipantInfo) =>
    act(async () => {
      if (!confirm(`Remove ${p.name} from the meeting?`)) return;
      await meetingsApi
        .remove(props.join.room, p.identity, p.name || p.identity)
        .catch(() => room.removeFromRoom(p.sid));
      await readRemoved();
    });
  // Another host may have removed or allowed someone: the list is read again whenever the panel opens.
  // Without control the list stays as it was; removing still works through signaling.
  const readRemoved = () =>
    meetingsApi
      .removed(props.join.room)
      .then(setRemoved)
      .catch(() => undefined);
  const allowBack = (r: RemovedParticipant) =>
    act(async () => {
      await meetingsApi.allowBack(props.join.room, r.identity);
      setRemoved(removed().filter((x) => x.identity !== r.identity));
    });
  // Set once this person asks to end the meeting for everyone.
  let endedHere = false;
  const endMeeting = () => {
    endedHere = true;
    return meetingsApi.end(props.join.room).catch(() => room.endRoom());
  };
  const endForAll = () =>
    act(async () => {
      if (!confirm('End the meeting for everyone?')) return;
      await endMeeting();
    });
  // A host who leaves while others are in the meeting chooses: leave them to it, or end it for all.
  const [leaveChoice, setLeaveChoice] = createSignal(false);
  const leave = () => {
    if (isHost && others().length > 0) setLeaveChoice(!leaveChoice());
    else room.leave();
  };
  const toggleLock = () =>
    act(async () => {
      const m = await meetingsApi.lock(props.join.room, !locked());
      setLocked(m.locked);
    });
  const decide = (e: LobbyEntry, admit: boolean) =>
    act(async () => {
      await (admit ? meetingsApi.admit(props.join.room, e.id) : meetingsApi.deny(props.join.room, e.id));
      setLobby(lobby().filter((x) => x.id !== e.id));
    });

  // Recording: hosts start and stop it with their join token (the host grant); everyone is told by
  // signaling (recordingChanged), which is what the banner shows.
  // What the host's recording request is doing, so each button says it (the notice may end before the stop
  // request returns, bringing Record back while the stop is still under way).
  const [recordingBusy, setRecordingBusy] = createSignal<'starting' | 'stopping' | null>(null);
  /** Why the plan lets no recording start (control asked billing at join time); null when it may. */
  // The plan can change during the meeting (an admin upgrades it): a start the server accepts clears it.
  const [planNowAllows, setPlanNowAllows] = createSignal(false);
  const recordingRefusal = (): string | null =>
    props.join.recording?.allowed === false && !planNowAllows()
      ? props.join.recording.reason || "The organization's plan does not include recording."
      : null;
  /** Why Record cannot start now, in short beside it and in full as its tooltip; null when it can. */
  const recordWhy = (): { short: string; full: string } | null => {
    const refusal = recordingRefusal();
    if (refusal !== null) return { short: 'Not on this plan', full: refusal };
    if (!s.mediaConnected && s.mediaFailure === null) return { short: 'Once connected', full: CONNECT_FIRST };
    return null;
  };
  /** Join time said no: ask the server anyway (the plan may have changed); it says no again, or starts. */
  const startDespiteRefusal = async (refusal: string): Promise<void> => {
    setRecordingBusy('starting');
    try {
      await recordingsApi.start(props.join.room, room.joinToken);
      setPlanNowAllows(true);
    } catch (e) {
      setRecordingNote(e instanceof ApiError && e.reason?.startsWith('plan_') ? refusal : errorText(e));
    } finally {
      setRecordingBusy(null);
    }
  };
  const toggleRecording = () =>
    act(async () => {
      const current = s.recordingId;
      setRecordingBusy(current === null ? 'starting' : 'stopping');
      try {
        if (current === null) await recordingsApi.start(props.join.room, room.joinToken);
        else await recordingsApi.stop(current, room.joinToken);
      } finally {
        setRecordingBusy(null);
      }
    });

  // When a recording ends (stopped here, by another host, or by a failure), the host is told how it went:
  // the file is ready, or why it failed, a few seconds after the stop.
  const [recordingNote, setRecordingNote] = createSignal<string | null>(null);
  let lastRecordingId: string | null = null;
  let followed = 0;
  onCleanup(() => (followed = -1));
  const followRecording = async (id: string): Promise<void> => {
    const mine = ++followed;
    for (let i = 0; i < 60 && followed === mine; i++) {
      const r = await recordingsApi.get(id, room.joinToken).catch(() => null);
      if (followed !== mine) return;
      if (r?.status === 'ready') {
        setRecordingNote(
          r.interrupted
            ? 'The recording is ready, up to where the recorder stopped during the meeting: open Recordings on the dashboard to play or share it.'
            : 'The recording is ready: open Recordings on the dashboard to play or share it.',
        );
        return;
      }
      if (r?.status === 'failed') {
        const cause = (r.error ?? '').split('\n')[0]!.slice(0, 160);
        setActionError(
          `The recording failed${cause ? `: ${cause}` : ''}. Start a new one to keep recording.`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  };
  createEffect(() => {
    const id = s.recordingId;
    const previous = lastRecordingId;
    lastRecordingId = id;
    if (id !== null) setRecordingNote(null);
    else if (isHost && previous !== null) void followRecording(previous);
  });

  /** Closes the side panel and gives the focus back to the control-bar button that opens it. */
  const closePanel = () => {
    const p = panel();
    setPanel('none');
    if (p !== 'none') document.querySelector<HTMLElement>(`.controls [data-panel="${p}"]`)?.focus();
  };

  const closeReactions = () => {
    setReactionsOpen(false);
    document.getElementById(REACT_BUTTON_ID)?.focus();
  };
  // Escape closes what is open, the topmost first: the reactions bar, else the side panel (as its Close
  // button does), wherever the focus is; not when something used the key first (the leave question, a
  // confirmation it cancelled) or when it would throw away a chat draft being written.
  const closeOnEscape = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    if (reactionsOpen()) {
      e.preventDefault();
      closeReactions();
      return;
    }
    if (panel() === 'none') return;
    const t = e.target;
    if (t instanceof HTMLTextAreaElement && t.value !== '') return;
    e.preventDefault();
    closePanel();
  };
  window.addEventListener('keydown', closeOnEscape);
  onCleanup(() => window.removeEventListener('keydown', closeOnEscape));

  const openPanel = (p: Panel) => {
    setPanel(p);
    // The panel takes the focus, so Tab goes through it next; closing it gives the focus back to its
    // button. Chat opens ready to type where there is a keyboard; on a touch screen the panel itself takes
    // the focus, so the on-screen keyboard does not cover the messages before a tap asks for it.
    if (p !== 'none')
      queueMicrotask(() => {
        const side = document.querySelector<HTMLElement>('aside.side');
        const typing = p === 'chat' && matchMedia('(pointer: fine)').matches;
        (typing ? side?.querySelector<HTMLElement>('textarea') : side)?.focus({ preventScroll: true });
      });
    if (p === 'people' && isHost) void readRemoved();
    if (p === 'settings') {
      listDevices()
        .then(setDevices)
        .catch(() => undefined);
    }
  };

  return (
    <div class="meeting" aria-label={`Meeting ${props.join.meeting.title}`}>
      <header class="meeting-bar">
        <h1 class="meeting-title" title={props.join.meeting.title}>
          {props.join.meeting.title}
        </h1>
        <span class="muted small">{others().length + 1} in the meeting</span>
        <Show when={s.sharing}>
          <span class="badge presenting" role="status">
            You are presenting
          </span>
        </Show>
        <Show when={isHost && s.recordingId === null && s.ended === null}>
          {/* A plan without recording (billing said so at join time): Record looks unavailable and says
              why beside it; a click asks the server again (the plan may have changed) and shows its answer. */}
          <div class="record-control">
            <Show when={recordWhy()}>
              {(why) => (
                <span id="record-why" class="muted small" title={why().full}>
                  {why().short}
                </span>
              )}
            </Show>
            <button
              type="button"
              class="small record"
              aria-disabled={recordingRefusal() === null ? undefined : 'true'}
              aria-describedby={recordWhy() === null ? undefined : 'record-why'}
              title={recordWhy()?.full ?? (s.mediaConnected ? undefined : CONNECT_FIRST)}
              disabled={recordingBusy() !== null || !s.mediaConnected}
              onClick={() => {
                const refusal = recordingRefusal();
                if (refusal === null) void toggleRecording();
                else void startDespiteRefusal(refusal);
              }}
            >
              {recordingBusy() === 'starting'
                ? 'Starting recording'
                : recordingBusy() === 'stopping'
                  ? 'Stopping recording'
                  : 'Record'}
            </button>
          </div>
        </Show>
      </header>
      <div class="banners">
        <Show when={s.reconnecting && s.ended === null}>
          <div class="banner warn" role="alert">
            Connection lost. Reconnecting...
          </div>
        </Show>
        <Show when={s.ownLinkTrouble && !s.reconnecting && s.ended === null}>
          <div class="banner warn" role="status">
            Your connection is unstable: the others' audio and video are not coming through well.
          </div>
        </Show>
        <Show
          when={
            !s.mediaConnected &&
            !s.reconnecting &&
            s.ended === null &&
            joinError() === null &&
            s.mediaFailure === null
          }
        >
          <div class="banner" role="status">
            Connecting
          </div>
        </Show>
        <Show when={s.mediaFailure !== null && s.ended === null}>
          <div class="banner error" role="alert">
            {s.mediaFailure}{' '}
            <button type="button" class="small" onClick={() => room.retryMedia()}>
              Try again
            </button>
          </div>
        </Show>
        <Show when={joinError()}>
          <div class="banner error" role="alert">
            Could not join: {joinError()}
          </div>
        </Show>
        <Show when={s.timeLimit !== null && s.ended === null ? s.timeLimit : null}>
          {(warning) => (
            <div class="banner warn" role="status">
              {timeLimitText(warning(), now())}
            </div>
          )}
        </Show>
        <Show when={s.recordingId !== null && s.ended === null}>
          <div class="banner recording" role="status">
            <span class="recording-dot" aria-hidden="true" />
            This meeting is being recorded.
            <Show when={isHost}>
              {' '}
              <button
                type="button"
                class="small"
                disabled={recordingBusy() !== null}
                onClick={() => void toggleRecording()}
              >
                {recordingBusy() === 'stopping' ? 'Stopping' : 'Stop recording'}
              </button>
            </Show>
          </div>
        </Show>
        <Show when={s.notice}>
          <div class="banner" role="status">
            {s.notice}{' '}
            <button type="button" class="link" onClick={() => room.dismissNotice()}>
              Dismiss
            </button>
          </div>
        </Show>
        <Show when={recordingNote()}>
          <div class="banner" role="status">
            {recordingNote()}{' '}
            <button type="button" class="link" onClick={() => setRecordingNote(null)}>
              Dismiss
            </button>
          </div>
        </Show>
        <Show when={actionError()}>
          <div class="banner error" role="alert">
            {actionError()}{' '}
            <button type="button" class="link" onClick={() => setActionError(null)}>
              Dismiss
            </button>
          </div>
        </Show>
        <RaisedHands
          hands={presentHands()}
          selfIdentity={selfIdentity()}
          isHost={isHost}
          onLower={(h) => void chat.lowerHand(h.participantSid)}
        />
        <Show when={isHost && lobby().length > 0 && panel() !== 'people'}>
          <div class="banner lobby-notice" role="status">
            {lobby()[0]?.display_name} is waiting in the lobby.{' '}
            <button type="button" class="primary small" onClick={() => void decide(lobby()[0]!, true)}>
              Admit {lobby()[0]?.display_name}
            </button>{' '}
            <button type="button" class="small" onClick={() => openPanel('people')}>
              See all ({lobby().length})
            </button>
          </div>
        </Show>
      </div>
      <div class="meeting-body" classList={{ 'with-panel': panel() !== 'none' }}>
        {/* Reactions float over the stage, so neither one arriving nor the bar opening changes the space
            the tiles are laid out in: the bar over the bottom edge, next to the button that opens it; the
            reactions shown over the top edge, away from the name labels at the foot of every tile. */}
        <div class="stage-area">
          <MeetingStage
            tiles={tiles()}
            stage={stage()}
            pinned={pinned()}
            onPin={(id) => setPinned(pinned() === id ? null : id)}
            isSpeaking={(sid) => s.speaking[sid] !== undefined}
            qualityOf={(sid) => {
              // A tile only speaks up about a bad link; the participants panel lists every reading. While
              // this side reconnects, the silence is ours, not theirs.
              if (s.reconnecting) return undefined;
              const q = s.quality[sid];
              const label = q === undefined ? undefined : qualityLabel(q);
              return label === 'Poor' || label === 'Lost' ? label : undefined;
            }}
            onView={(sid, v) => room.setTileView(sid, v)}
          />
          <div class="reactions-shown-layer">
            <ReactionsShown chat={chat} selfSid={s.self?.sid ?? ''} />
          </div>
          <div class="reactions-layer">
            <Show when={reactionsOpen()}>
              <ReactionsBar chat={chat} onSent={() => setReactionsOpen(false)} />
            </Show>
            <Show when={leaveChoice()}>
              <LeaveChoice
                onLeave={() => room.leave()}
                onEnd={() => void act(endMeeting)}
                onCancel={() => {
                  setLeaveChoice(false);
                  document.getElementById(LEAVE_BUTTON_ID)?.focus();
                }}
              />
            </Show>
          </div>
        </div>
        <Switch>
          <Match when={panel() === 'people'}>
            <ParticipantsPanel
              selfName={selfName()}
              selfMuted={s.micMuted}
              isHost={isHost}
              others={others()}
              quality={s.quality}
              raisedHands={new Set(chat.state.hands.map((h) => h.identity))}
              lobby={lobby()}
              removed={removed()}
              locked={locked()}
              onClose={closePanel}
              onDecide={(e, admit) => void decide(e, admit)}
              onMute={(p) => void muteOther(p)}
              onRemove={(p) => void removeOther(p)}
              onAllowBack={(r) => void allowBack(r)}
              onToggleLock={() => void toggleLock()}
              onEndForAll={() => void endForAll()}
            />
          </Match>
          <Match when={panel() === 'chat'}>
            <ChatPanel
              chat={chat}
              selfIdentity={selfIdentity()}
              isHost={isHost}
              others={others()}
              onClose={closePanel}
            />
          </Match>
          <Match when={panel() === 'invite'}>
            <InvitePanel
              meetingId={props.join.room}
              link={invite()}
              onLink={setInvite}
              onClose={closePanel}
            />
          </Match>
          <Match when={panel() === 'settings'}>
            <DevicesPanel
              devices={devices()}
              speakerId={speakerId()}
              rttMs={s.rttMs}
              onClose={closePanel}
              onCamera={(id) => void act(() => room.switchCamera(id))}
              onMicrophone={(id) => void act(() => room.switchMicrophone(id))}
              onSpeaker={setSpeakerId}
            />
          </Match>
        </Switch>
      </div>
      <For each={audioTracks()}>{(t) => <AudioSink stream={t.stream} sinkId={speakerId()} />}</For>
      <ControlBar
        micMuted={s.micMuted}
        cameraOff={s.cameraOff}
        sharing={s.sharing}
        canShare={canShareScreen()}
        speakerView={speakerView()}
        panel={panel()}
        isHost={isHost}
        people={others().length + 1}
        waiting={lobby().length}
        unread={chat.state.unread}
        handRaised={handRaised()}
        reactionsOpen={reactionsOpen()}
        onHand={() => void (handRaised() ? chat.lowerHand() : chat.raiseHand())}
        onReactions={() => setReactionsOpen(!reactionsOpen())}
        onMic={() => room.setMicMuted(!s.micMuted)}
        onCamera={() => void act(() => room.setCameraOff(!s.cameraOff))}
        onShare={() => void act(() => (s.sharing ? room.stopScreenShare() : room.startScreenShare()))}
        onSpeakerView={() => setSpeakerView(!speakerView())}
        onPanel={openPanel}
        leaveChoiceOpen={leaveChoice()}
        onLeave={leave}
      />
    </div>
  );
}
