import { TrackKind, TrackSource, type ParticipantInfo } from '@origo/proto/signal';
import { createEffect, createMemo, createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import { meetingsApi, wsUrlFrom, type JoinReady, type LobbyEntry } from '../api/meetings.js';
import { AudioSink, VideoTile } from '../components/VideoTile.js';
import { computeLayout } from '../rtc/grid.js';
import { listDevices, mediaErrorText, type DeviceLists } from '../rtc/media.js';
import { qualityLabel } from '../rtc/quality.js';
import { RoomClient } from '../rtc/RoomClient.js';

interface Tile {
  id: string;
  name: string;
  participantSid: string;
  source: 'camera' | 'screen';
  trackSid: string | null;
  stream: MediaStream | null;
  local: boolean;
  muted: boolean;
}

declare global {
  interface Window {
    /** Read by the end-to-end tests: decoded frames per remote source. */
    __origoRoom?: {
      decoded(): Promise<{ camera: number; screen: number; byName: Record<string, number> }>;
      state(): unknown;
    };
  }
}

function micMuted(p: ParticipantInfo): boolean {
  const mic = p.tracks.find((t) => t.source === TrackSource.TRACK_SOURCE_MICROPHONE);
  return mic === undefined || mic.muted;
}

export function MeetingView(props: {
  join: JoinReady;
  camera: MediaStreamTrack | null;
  microphone: MediaStreamTrack | null;
  onEnded: (reason: string) => void;
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
  const [panel, setPanel] = createSignal<'none' | 'people' | 'settings'>('none');
  const [pinned, setPinned] = createSignal<string | null>(null);
  const [page, setPage] = createSignal(0);
  const [size, setSize] = createSignal({
    width: window.innerWidth,
    height: Math.max(200, window.innerHeight - 160),
  });
  const [narrow, setNarrow] = createSignal(window.innerWidth < 700);
  const [lobby, setLobby] = createSignal<LobbyEntry[]>([]);
  const [locked, setLocked] = createSignal(false);
  const [actionError, setActionError] = createSignal<string | null>(null);
  const [devices, setDevices] = createSignal<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  const [speakerId, setSpeakerId] = createSignal<string>('');
  let stage!: HTMLDivElement;

  onMount(() => {
    room.join().catch((e: unknown) => setJoinError(errorText(e)));
    const ro = new ResizeObserver(([e]) => {
      if (e) setSize({ width: e.contentRect.width, height: e.contentRect.height });
    });
    ro.observe(stage);
    const onResize = () => setNarrow(window.innerWidth < 700);
    window.addEventListener('resize', onResize);
    const online = () => room.networkChanged();
    window.addEventListener('online', online);
    const conn = (navigator as Navigator & { connection?: EventTarget }).connection;
    conn?.addEventListener('change', online);
    let lobbyTimer: ReturnType<typeof setInterval> | undefined;
    if (isHost) {
      const refresh = () =>
        meetingsApi
          .lobby(props.join.room)
          .then(setLobby)
          .catch(() => undefined);
      void refresh();
      lobbyTimer = setInterval(refresh, 3000);
    }
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
      ro.disconnect();
      window.removeEventListener('resize', onResize);
      window.removeEventListener('online', online);
      conn?.removeEventListener('change', online);
      clearInterval(lobbyTimer);
      delete window.__origoRoom;
      if (s.ended === null) room.leave();
    });
  });

  createEffect(() => {
    const ended = s.ended;
    if (ended !== null) props.onEnded(ended.reason);
  });

  const others = createMemo(() => Object.values(s.participants));

  const tiles = createMemo<Tile[]>(() => {
    const list: Tile[] = [];
    const self = s.self;
    list.push({
      id: 'local',
      name: `${self?.name ?? props.join.name} (you)`,
      participantSid: self?.sid ?? '',
      source: 'camera',
      trackSid: null,
      stream: s.localVideo,
      local: true,
      muted: s.micMuted,
    });
    for (const p of others()) {
      const cam = p.tracks.find(
        (t) => t.source === TrackSource.TRACK_SOURCE_CAMERA && t.kind === TrackKind.TRACK_KIND_VIDEO,
      );
      list.push({
        id: `cam:${p.sid}`,
        name: p.name || p.identity,
        participantSid: p.sid,
        source: 'camera',
        trackSid: cam?.sid ?? null,
        stream: cam && !cam.muted ? (s.tracks[cam.sid]?.stream ?? null) : null,
        local: false,
        muted: micMuted(p),
      });
      for (const t of p.tracks) {
        if (t.source !== TrackSource.TRACK_SOURCE_SCREEN_SHARE) continue;
        list.push({
          id: `screen:${t.sid}`,
          name: `${p.name || p.identity}, screen`,
          participantSid: p.sid,
          source: 'screen',
          trackSid: t.sid,
          stream: s.tracks[t.sid]?.stream ?? null,
          local: false,
          muted: false,
        });
      }
    }
    return list;
  });

  // A pinned tile takes the stage; otherwise a remote screen share does.
  const stageId = createMemo(() => {
    const pin = pinned();
    if (pin !== null && tiles().some((t) => t.id === pin)) return pin;
    return tiles().find((t) => t.source === 'screen')?.id ?? null;
  });

  const layout = createMemo(() =>
    computeLayout(
      {
        tiles: tiles().map((t) => t.id),
        stage: stageId(),
        width: size().width,
        height: size().height,
        narrow: size().width < 700,
      },
      page(),
    ),
  );
  const tileById = (id: string) => tiles().find((t) => t.id === id);
  const audioTracks = createMemo(() =>
    Object.values(s.tracks).filter((t) => t.info.kind === TrackKind.TRACK_KIND_AUDIO && t.stream !== null),
  );

  const renderTile = (id: string, style: JSX.CSSProperties): JSX.Element => {
    const t = tileById(id);
    if (t === undefined) return null;
    const q = t.local ? undefined : s.quality[t.participantSid];
    return (
      <VideoTile
        id={t.id}
        stream={t.stream}
        name={t.name}
        mirror={t.local}
        muted={t.muted}
        source={t.source}
        speaking={t.participantSid !== '' && s.speaking[t.participantSid] !== undefined}
        quality={q === undefined ? undefined : qualityLabel(q)}
        pinned={pinned() === t.id}
        onPin={() => setPinned(pinned() === t.id ? null : t.id)}
        onView={t.trackSid === null ? undefined : (v) => room.setTileView(t.trackSid ?? '', v)}
        style={style}
      />
    );
  };

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await fn();
    } catch (e) {
      setActionError(e instanceof DOMException ? mediaErrorText(e) : errorText(e));
    }
  };

  const muteOther = (p: ParticipantInfo) =>
    act(async () => {
      // Control records the action in the audit log and relays it to signaling.
      await meetingsApi.mute(props.join.room, p.identity).catch(() => room.muteParticipant(p.sid));
    });
  const removeOther = (p: ParticipantInfo) =>
    act(async () => {
      if (!confirm(`Remove ${p.name} from the meeting?`)) return;
      await meetingsApi.remove(props.join.room, p.identity).catch(() => room.removeFromRoom(p.sid));
    });
  const endForAll = () =>
    act(async () => {
      if (!confirm('End the meeting for everyone?')) return;
      await meetingsApi.end(props.join.room).catch(() => room.endRoom());
    });
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

  const openSettings = async () => {
    setPanel(panel() === 'settings' ? 'none' : 'settings');
    const d = await listDevices().catch(() => null);
    if (d) setDevices(d);
  };

  return (
    <div class="meeting" aria-label={`Meeting ${props.join.meeting.title}`}>
      <header class="meeting-bar">
        <h1 class="meeting-title">{props.join.meeting.title}</h1>
        <span class="muted small">{others().length + 1} in the meeting</span>
        <Show when={s.sharing}>
          <span class="badge presenting" role="status">
            You are presenting
          </span>
        </Show>
      </header>
      <Show when={s.reconnecting && s.ended === null}>
        <div class="banner warn" role="alert">
          Connection lost. Reconnecting...
        </div>
      </Show>
      <Show when={!s.mediaConnected && !s.reconnecting && s.ended === null && joinError() === null}>
        <div class="banner" role="status">
          Connecting
        </div>
      </Show>
      <Show when={joinError()}>
        <div class="banner error" role="alert">
          Could not join: {joinError()}
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
      <Show when={actionError()}>
        <div class="banner error" role="alert">
          {actionError()}{' '}
          <button type="button" class="link" onClick={() => setActionError(null)}>
            Dismiss
          </button>
        </div>
      </Show>
      <Show when={isHost && lobby().length > 0 && panel() !== 'people'}>
        <div class="banner lobby-notice" role="status">
          {lobby()[0]?.display_name} is waiting in the lobby.{' '}
          <button type="button" class="primary small" onClick={() => void decide(lobby()[0]!, true)}>
            Admit {lobby()[0]?.display_name}
          </button>{' '}
          <button type="button" class="small" onClick={() => setPanel('people')}>
            See all ({lobby().length})
          </button>
        </div>
      </Show>
      <div class="meeting-body">
        <div
          class="stage"
          ref={stage}
          classList={{ 'stage-mode': layout().mode === 'stage', narrow: narrow() }}
        >
          <Show when={layout().mode === 'stage' && layout().stage}>
            {(id) => <div class="stage-main">{renderTile(id(), { width: '100%', height: '100%' })}</div>}
          </Show>
          <div
            class="grid"
            style={
              layout().mode === 'grid'
                ? { 'grid-template-columns': `repeat(${layout().fit.columns}, ${layout().fit.tileWidth}px)` }
                : {}
            }
          >
            <For each={layout().tiles}>
              {(id) =>
                renderTile(
                  id,
                  layout().mode === 'grid'
                    ? { width: `${layout().fit.tileWidth}px`, height: `${layout().fit.tileHeight}px` }
                    : {},
                )
              }
            </For>
          </div>
          <Show when={layout().pages > 1}>
            <div class="pager">
              <button type="button" class="small" disabled={page() === 0} onClick={() => setPage(page() - 1)}>
                Previous page
              </button>
              <span class="muted small">
                Page {Math.min(page(), layout().pages - 1) + 1} of {layout().pages}
              </span>
              <button
                type="button"
                class="small"
                disabled={page() >= layout().pages - 1}
                onClick={() => setPage(page() + 1)}
              >
                Next page
              </button>
            </div>
          </Show>
        </div>
        <Show when={panel() === 'people'}>
          <aside class="side" aria-label="Participants">
            <div class="row between">
              <h2>Participants ({others().length + 1})</h2>
              <button type="button" class="small" onClick={() => setPanel('none')}>
                Close
              </button>
            </div>
            <Show when={isHost && lobby().length > 0}>
              <h3>Waiting in the lobby</h3>
              <ul class="people">
                <For each={lobby()}>
                  {(e) => (
                    <li>
                      <span>{e.display_name}</span>
                      <span class="row gap">
                        <button type="button" class="primary small" onClick={() => void decide(e, true)}>
                          Admit<span class="sr-only"> {e.display_name}</span>
                        </button>
                        <button type="button" class="small" onClick={() => void decide(e, false)}>
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
                <span>
                  {s.self?.name ?? props.join.name} (you){isHost ? ', host' : ''}
                </span>
                <span class="muted small">{s.micMuted ? 'Muted' : 'Unmuted'}</span>
              </li>
              <For each={others()}>
                {(p) => (
                  <li data-participant={p.name}>
                    <span>
                      {p.name || p.identity}
                      {p.isHost ? ', host' : ''}
                      <span class="muted small"> {micMuted(p) ? 'Muted' : 'Unmuted'}</span>
                      <Show when={s.quality[p.sid] !== undefined}>
                        <span class="muted small">
                          , connection {qualityLabel(s.quality[p.sid]!).toLowerCase()}
                        </span>
                      </Show>
                    </span>
                    <Show when={isHost}>
                      <span class="row gap">
                        <button
                          type="button"
                          class="small"
                          disabled={micMuted(p)}
                          onClick={() => void muteOther(p)}
                        >
                          Mute<span class="sr-only"> {p.name}</span>
                        </button>
                        <button type="button" class="small danger-text" onClick={() => void removeOther(p)}>
                          Remove<span class="sr-only"> {p.name}</span>
                        </button>
                      </span>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
            <Show when={isHost}>
              <div class="host-actions">
                <button type="button" onClick={() => void toggleLock()} aria-pressed={locked()}>
                  {locked() ? 'Unlock meeting' : 'Lock meeting'}
                </button>
                <button type="button" class="danger" onClick={() => void endForAll()}>
                  End meeting for all
                </button>
              </div>
            </Show>
          </aside>
        </Show>
        <Show when={panel() === 'settings'}>
          <aside class="side" aria-label="Devices">
            <div class="row between">
              <h2>Devices</h2>
              <button type="button" class="small" onClick={() => setPanel('none')}>
                Close
              </button>
            </div>
            <div class="field">
              <label for="m-camera">Camera</label>
              <select
                id="m-camera"
                onChange={(e) => void act(() => room.switchCamera(e.currentTarget.value))}
              >
                <For each={devices().cameras}>
                  {(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}
                </For>
              </select>
            </div>
            <div class="field">
              <label for="m-mic">Microphone</label>
              <select
                id="m-mic"
                onChange={(e) => void act(() => room.switchMicrophone(e.currentTarget.value))}
              >
                <For each={devices().microphones}>
                  {(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}
                </For>
              </select>
            </div>
            <Show when={devices().speakers.length > 0}>
              <div class="field">
                <label for="m-speaker">Speaker</label>
                <select
                  id="m-speaker"
                  value={speakerId()}
                  onChange={(e) => setSpeakerId(e.currentTarget.value)}
                >
                  <For each={devices().speakers}>
                    {(d, i) => <option value={d.deviceId}>{d.label || `Speaker ${i() + 1}`}</option>}
                  </For>
                </select>
              </div>
            </Show>
            <p class="muted small">Round trip to the server: {s.rttMs} ms</p>
          </aside>
        </Show>
      </div>
      <For each={audioTracks()}>{(t) => <AudioSink stream={t.stream} sinkId={speakerId()} />}</For>
      <nav class="controls" aria-label="Meeting controls">
        <button type="button" aria-pressed={s.micMuted} onClick={() => room.setMicMuted(!s.micMuted)}>
          {s.micMuted ? 'Unmute' : 'Mute'}
        </button>
        <button
          type="button"
          aria-pressed={s.cameraOff}
          onClick={() => void act(() => room.setCameraOff(!s.cameraOff))}
        >
          {s.cameraOff ? 'Start video' : 'Stop video'}
        </button>
        <button
          type="button"
          aria-pressed={s.sharing}
          classList={{ active: s.sharing }}
          onClick={() => void act(() => (s.sharing ? room.stopScreenShare() : room.startScreenShare()))}
        >
          {s.sharing ? 'Stop presenting' : 'Share screen'}
        </button>
        <button
          type="button"
          aria-pressed={panel() === 'people'}
          onClick={() => setPanel(panel() === 'people' ? 'none' : 'people')}
        >
          Participants ({others().length + 1})
          {isHost && lobby().length > 0 ? `, ${lobby().length} waiting` : ''}
        </button>
        <button type="button" aria-pressed={panel() === 'settings'} onClick={() => void openSettings()}>
          Devices
        </button>
        <button type="button" class="danger" onClick={() => room.leave()}>
          Leave
        </button>
      </nav>
    </div>
  );
}
