import { createSignal, For, Show, type JSX } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { adminViewsApi, type LiveParticipant, type LiveRoom } from '../../api/admin.js';
import { errorText } from '../../api/http.js';
import { meetingsApi } from '../../api/meetings.js';
import { FormError } from '../../components/Field.js';
import { useAdminScope, usePolling } from './common.js';
import { OrgName } from './names.js';
import { EmptyRow, LoadError, TableHead } from './table.js';
import { BitrateTracker, formatBitrate, formatDuration, type ByteSample } from './stats.js';

/** How often the open tab asks again. */
const POLL_MS = 4000;

/** Into the SFU from the room's publishers, and out to its subscribers. */
interface Rates {
  roomIn: number | null;
  roomOut: number | null;
}

/** What one participant sends to the SFU and receives from it. */
interface PeerRates {
  sends: number | null;
  receives: number | null;
}

/** The key of a participant's rates: their server id is new when they rejoin, so their counters start again. */
const peerKey = (meetingId: string, sid: string) => `${meetingId}:${sid}`;

/**
 * Every live meeting with its participants, duration, SFU worker and bitrate (the room's in and out of the
 * SFU, and each participant's to and from it), refreshed every few seconds while the tab is open. Admins
 * end a room or remove a participant (not themselves) from here, each after a confirmation.
 */
export function RoomsTab(): JSX.Element {
  const { superadmin, adminOrg, myUserId } = useAdminScope();
  // A store reconciled by meeting id: rows stay in place between polls, so focus and a pending
  // confirmation survive a refresh.
  const [state, setState] = createStore<{ loaded: boolean; items: Array<LiveRoom & { id: string }> }>({
    loaded: false,
    items: [],
  });
  const [rates, setRates] = createSignal(new Map<string, Rates>());
  const [peerRates, setPeerRates] = createSignal(new Map<string, PeerRates>());
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [confirming, setConfirming] = createSignal<string | null>(null);
  /** The participant (peerKey) whose removal waits for a confirmation. */
  const [removing, setRemoving] = createSignal<string | null>(null);
  const [updatedAt, setUpdatedAt] = createSignal<Date | null>(null);
  const tracker = new BitrateTracker();

  const load = async () => {
    try {
      // The superadmin sees every organization; an org admin their own.
      const page = await adminViewsApi.liveRooms(superadmin() ? undefined : adminOrg());
      const readings = new Map<string, ByteSample>();
      for (const room of page.items) {
        const media = room.media;
        if (media === null) continue;
        const at = Date.parse(media.sampled_at);
        readings.set(`${room.meeting.id}:in`, { sid: media.room_sid, bytes: media.bytes_received, at });
        readings.set(`${room.meeting.id}:out`, { sid: media.room_sid, bytes: media.bytes_sent, at });
        for (const p of room.participants) {
          if (p.media === null) continue;
          const key = peerKey(room.meeting.id, p.sid);
          const sid = `${media.room_sid}/${p.sid}`;
          // The SFU receives what the participant sends, and sends what they receive.
          readings.set(`${key}:sends`, { sid, bytes: p.media.bytes_received, at });
          readings.set(`${key}:receives`, { sid, bytes: p.media.bytes_sent, at });
        }
      }
      const found = tracker.update(readings);
      const next = new Map<string, Rates>();
      const nextPeers = new Map<string, PeerRates>();
      for (const room of page.items) {
        const id = room.meeting.id;
        next.set(id, {
          roomIn: found.get(`${id}:in`) ?? null,
          roomOut: found.get(`${id}:out`) ?? null,
        });
        for (const p of room.participants) {
          const key = peerKey(id, p.sid);
          nextPeers.set(key, {
            sends: found.get(`${key}:sends`) ?? null,
            receives: found.get(`${key}:receives`) ?? null,
          });
        }
      }
      setRates(next);
      setPeerRates(nextPeers);
      setState('items', reconcile(page.items.map((r) => ({ ...r, id: r.meeting.id }))));
      setState('loaded', true);
      setLoadError(null);
      setUpdatedAt(new Date());
    } catch (e) {
      setLoadError(errorText(e));
    }
  };
  usePolling(load, POLL_MS);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const end = (room: LiveRoom) =>
    act(async () => {
      setConfirming(null);
      await meetingsApi.end(room.meeting.id);
    });
  const remove = (room: LiveRoom, p: LiveParticipant) =>
    act(async () => {
      setRemoving(null);
      await meetingsApi.remove(room.meeting.id, p.identity, p.name);
    });

  return (
    <div>
      <div class="row between wrap">
        <h2>Live rooms</h2>
        <span class="muted small" role="status" aria-live="polite">
          <Show when={updatedAt()} fallback="Loading">
            {/* JSX, not a template string: the text must follow each refresh, not the first one only. */}
            {(at) => (
              <>
                Updated {at().toLocaleTimeString()}; refreshes every {POLL_MS / 1000} s
              </>
            )}
          </Show>
        </span>
      </div>
      <FormError message={error()} />
      <LoadError message={loadError()} />
      <div class="table-wrap">
        <table class="stack rooms" aria-label="Live rooms">
          <TableHead
            columns={['Meeting', 'Participants', 'Duration', 'SFU worker', 'Bitrate']}
            hidden="Actions"
          />
          <tbody>
            <For
              each={state.items}
              fallback={
                <EmptyRow columns={6}>{state.loaded ? 'No meeting is live right now.' : 'Loading'}</EmptyRow>
              }
            >
              {(room) => {
                const title = () => room.meeting.title;
                const rate = () => rates().get(room.meeting.id);
                return (
                  <tr aria-label={title()} data-meeting-id={room.meeting.id}>
                    <td data-label="Meeting">
                      {/* One block: on a phone the cell is a row of flex items. */}
                      <div>
                        <strong>{title()}</strong>
                        <Show when={superadmin()}>
                          <div class="muted small">
                            <OrgName id={room.meeting.org_id} />
                          </div>
                        </Show>
                      </div>
                    </td>
                    <td data-label="Participants">
                      <ul class="participants" aria-label={`Participants of ${title()}`}>
                        <For each={room.participants}>
                          {(p) => {
                            const key = () => peerKey(room.meeting.id, p.sid);
                            const peer = () => peerRates().get(key());
                            return (
                              <li aria-label={p.name}>
                                <span>
                                  {p.name}
                                  {p.is_host ? ' (host)' : ''}
                                </span>
                                <span class="muted small">
                                  joined {new Date(p.joined_at).toLocaleTimeString()}
                                </span>
                                <Show when={p.media}>
                                  {/* Each figure stays on one line; a narrow screen breaks between them. */}
                                  <span class="muted small">
                                    <span class="nowrap">sends {formatBitrate(peer()?.sends ?? null)},</span>{' '}
                                    <span class="nowrap">
                                      receives {formatBitrate(peer()?.receives ?? null)}
                                    </span>
                                  </span>
                                </Show>
                                {/* An admin leaves a meeting themselves; removing oneself here would lock one out. */}
                                <Show when={p.identity !== myUserId()}>
                                  <Show
                                    when={removing() === key()}
                                    fallback={
                                      <button
                                        type="button"
                                        class="small"
                                        aria-label={`Remove ${p.name} from ${title()}`}
                                        onClick={() => setRemoving(key())}
                                      >
                                        Remove
                                      </button>
                                    }
                                  >
                                    <div
                                      class="row wrap"
                                      role="group"
                                      aria-label={`Remove ${p.name} from ${title()}?`}
                                    >
                                      <button
                                        type="button"
                                        class="small danger"
                                        onClick={() => void remove(room, p)}
                                      >
                                        Remove {p.name}
                                      </button>
                                      <button type="button" class="small" onClick={() => setRemoving(null)}>
                                        Cancel
                                      </button>
                                    </div>
                                  </Show>
                                </Show>
                              </li>
                            );
                          }}
                        </For>
                      </ul>
                    </td>
                    <td data-label="Duration">{formatDuration(room.duration_seconds)}</td>
                    <td data-label="SFU worker" class="break">
                      <Show when={room.media} fallback={<span class="muted">{room.media_problem}</span>}>
                        {(m) => m().worker_id}
                      </Show>
                    </td>
                    <td data-label="Bitrate">
                      <Show when={room.media} fallback="-">
                        <div>
                          <span class="nowrap">in {formatBitrate(rate()?.roomIn ?? null)}</span>
                          <br />
                          <span class="nowrap">out {formatBitrate(rate()?.roomOut ?? null)}</span>
                        </div>
                      </Show>
                    </td>
                    <td data-label="Actions">
                      <Show
                        when={confirming() === room.meeting.id}
                        fallback={
                          <button
                            type="button"
                            class="small danger"
                            aria-label={`End room ${title()}`}
                            onClick={() => setConfirming(room.meeting.id)}
                          >
                            End room
                          </button>
                        }
                      >
                        <div class="row wrap" role="group" aria-label={`End ${title()} for everyone?`}>
                          <button
                            type="button"
                            class="small danger"
                            aria-label={`Confirm end room ${title()}`}
                            onClick={() => void end(room)}
                          >
                            End for everyone
                          </button>
                          <button type="button" class="small" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </div>
                      </Show>
                    </td>
                  </tr>
                );
              }}
            </For>
          </tbody>
        </table>
      </div>
    </div>
  );
}
