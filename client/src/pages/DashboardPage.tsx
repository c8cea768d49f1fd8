import { useNavigate, useSearchParams } from '@solidjs/router';
import { createEffect, createResource, createSignal, For, on, onCleanup, Show, type JSX } from 'solid-js';
import { errorText } from '../api/http.js';
import { inviteLinkFor } from '../api/inviteLinks.js';
import { meetingsApi, type IssuedInviteLink, type Meeting } from '../api/meetings.js';
import { Field, focusFirstInvalid, FormError } from '../components/Field.js';
import { keepUnchanged, MeetingList } from '../components/MeetingList.js';
import { ChatLink, PastMeetings, RecordingsLink } from '../components/PastMeetings.js';
import { PresencePanel } from '../components/PresencePanel.js';
import { COPIED_MS } from '../lib/clipboard.js';
import {
  browserZone,
  describeRrule,
  formatMeetingTime,
  formatWhen,
  rruleFor,
  timeZoneChoices,
  zonedToInstant,
  type Repeat,
} from '../lib/time.js';
import { useSession } from '../session.js';
import { ROLE_PHRASE } from './InvitationSignUp.js';

/** The longest title control takes (platform/control); the field says so as a title nears it. */
const TITLE_MAX = 200;
/** From this many characters on, the title field counts them. */
const TITLE_COUNT_FROM = 180;

/**
 * A one-off scheduled meeting whose slot is over without it having started (one created through the API
 * for a past time, or simply missed): the card says so rather than listing it as if it were to come.
 */
function timePassed(m: Meeting): boolean {
  if (m.kind === 'instant' || m.recurrence || m.starts_at === null) return false;
  return Date.parse(m.starts_at) + m.duration_minutes * 60_000 < Date.now();
}

/** What a start that has already passed is told, next to the date and time. */
export const PAST_START = 'That time has passed. Pick a later time, or use Start an instant meeting.';

/** The note under the title field: the limit, and near it how much of it is used (one line, so nothing jumps). */
export function titleNote(length: number): string {
  if (length >= TITLE_MAX) return `${TITLE_MAX} of ${TITLE_MAX} characters (the limit).`;
  if (length >= TITLE_COUNT_FROM) return `${length} of ${TITLE_MAX} characters.`;
  return `Titles can be up to ${TITLE_MAX} characters.`;
}

function localDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** How long control lists an instant meeting nobody started as upcoming (platform/control instant-title.ts). */
const INSTANT_UPCOMING_MS = 60 * 60 * 1000;

/** How often the dashboard reads its lists again while one of its meetings is live, and otherwise. */
const LIVE_REFRESH_MS = 5_000;
const REFRESH_MS = 15_000;

/** Live meetings first, then by start (an instant meeting by its creation), soonest first. */
export function upcomingOrder(items: readonly Meeting[]): Meeting[] {
  const key = (m: Meeting) => (m.state === 'live' ? 0 : Date.parse(m.starts_at ?? m.created_at));
  return [...items].sort((a, b) => key(a) - key(b));
}

export function DashboardPage(): JSX.Element {
  const { orgId, setOrgId, me } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  // Set by the invitation sign-up: say which organization the new account landed in, and show it.
  const joined = () => me()?.memberships.find((m) => m.orgId === params.joined);
  createEffect(
    on(joined, (m) => {
      if (m !== undefined) setOrgId(m.orgId);
    }),
  );
  const memberships = () => me()?.memberships ?? [];
  // Control decides what is still upcoming (an instant meeting nobody started drops out after an hour).
  const [meetings, { refetch: refetchUpcoming }] = createResource<Meeting[], string | undefined>(
    orgId,
    async (org, { value }) => keepUnchanged(value, upcomingOrder((await meetingsApi.upcoming(org)).items)),
  );
  // Each refresh reads the past meetings again too: a meeting that ended moves from one list to the other.
  const [pastRefresh, setPastRefresh] = createSignal(0);
  const refetch = async () => {
    setPastRefresh(pastRefresh() + 1);
    await refetchUpcoming();
  };
  // Meetings go live and end while the page is open (a meeting ends when its room has been empty for its grace,
  // "End meeting for all" ends it for everyone): read both lists again while the tab is visible, often
  // while a meeting is live (it may end any moment), and at once when the tab is shown again.
  let poll: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    clearTimeout(poll);
    const live = (meetings.latest ?? []).some((m) => m.state === 'live');
    poll = setTimeout(
      () => {
        if (document.visibilityState === 'visible' && !meetings.loading) void refetch().finally(schedule);
        else schedule();
      },
      live ? LIVE_REFRESH_MS : REFRESH_MS,
    );
  };
  schedule();
  const onVisible = () => {
    if (document.visibilityState !== 'visible' || meetings.loading) return;
    void refetch().finally(schedule);
  };
  document.addEventListener('visibilitychange', onVisible);
  onCleanup(() => {
    clearTimeout(poll);
    document.removeEventListener('visibilitychange', onVisible);
  });
  const [error, setError] = createSignal<string | null>(null);
  const [showForm, setShowForm] = createSignal(false);
  const [copied, setCopied] = createSignal<string | null>(null);
  let copiedTimer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(copiedTimer));
  // Invite links made on this page, by meeting: the token is only shown when a link is made.
  const [links, setLinks] = createSignal<Record<string, IssuedInviteLink>>({});

  // Set from the first click until the page moves on, so a double click starts one meeting, not two.
  const [starting, setStarting] = createSignal(false);

  const startInstant = async () => {
    if (starting()) return;
    setStarting(true);
    setError(null);
    try {
      // No title: control names it by the time it is created, in this browser's language and zone.
      const m = await meetingsApi.create({
        kind: 'instant',
        locale: navigator.language,
        time_zone: browserZone(),
        ...(orgId() ? { org_id: orgId() } : {}),
      });
      navigate(`/join/${m.id}`);
    } catch (err) {
      setError(errorText(err));
      setStarting(false);
    }
  };

  /** Copies the meeting's guest invite link (the one this browser made before, else a new one). */
  const copy = async (m: Meeting) => {
    setError(null);
    let link: IssuedInviteLink;
    try {
      link = await inviteLinkFor(m.id);
    } catch (err) {
      setError(errorText(err));
      return;
    }
    setLinks({ ...links(), [m.id]: link });
    try {
      await navigator.clipboard.writeText(link.invite_url);
      setCopied(m.id);
      clearTimeout(copiedTimer);
      copiedTimer = setTimeout(() => setCopied((c) => (c === m.id ? null : c)), COPIED_MS);
    } catch {
      // Clipboard blocked (insecure origin, permissions): the link stays selectable on screen.
      setCopied(`manual:${m.id}`);
    }
  };

  const cancel = async (m: Meeting) => {
    if (!confirm(`Cancel "${m.title}"? Invited people can no longer join.`)) return;
    try {
      await meetingsApi.cancel(m.id);
      await refetch();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section>
      <div class="row between wrap">
        <h1>Meetings</h1>
        <div class="row gap">
          <button type="button" class="primary" disabled={starting()} onClick={() => void startInstant()}>
            Start an instant meeting
          </button>
          <button type="button" onClick={() => setShowForm(!showForm())} aria-expanded={showForm()}>
            Schedule a meeting
          </button>
        </div>
      </div>
      <Show when={memberships().length > 1}>
        {/* Someone in several organizations sees one at a time: its meetings, who is online, where new ones go. */}
        <div class="field org-switch">
          <label for="dashboard-org">Organization</label>
          <select id="dashboard-org" value={orgId() ?? ''} onChange={(e) => setOrgId(e.currentTarget.value)}>
            <For each={memberships()}>{(m) => <option value={m.orgId}>{m.orgName}</option>}</For>
          </select>
        </div>
      </Show>
      <Show when={joined()}>
        {(m) => (
          <p class="notice" role="status">
            Welcome to {m().orgName}. You joined as {ROLE_PHRASE[m().role]}; its meetings are listed here.
          </p>
        )}
      </Show>
      <FormError message={error()} />
      <Show when={showForm()}>
        <ScheduleForm
          onCreated={async () => {
            setShowForm(false);
            await refetch();
          }}
          onCancel={() => setShowForm(false)}
        />
      </Show>
      <PresencePanel orgId={orgId()} selfId={me()?.user.id} />
      <section aria-label="Upcoming meetings">
        <h2>Upcoming</h2>
        <MeetingList
          items={meetings}
          loading="Loading meetings"
          empty="No upcoming meetings. Start one now or schedule one."
        >
          {(m) => (
            <li class="meeting-card card" data-meeting-id={m.id}>
              <div class="meeting-main">
                <h3>{m.title}</h3>
                <p class="muted">
                  <Show
                    when={m.state === 'live'}
                    fallback={
                      m.kind === 'instant'
                        ? `Not started yet; listed here until ${formatWhen(
                            new Date(Date.parse(m.created_at) + INSTANT_UPCOMING_MS),
                          )}`
                        : formatMeetingTime(m.starts_at, m.time_zone)
                    }
                  >
                    <span class="badge live">Live now</span>{' '}
                    {m.participant_count > 0 ? `${m.participant_count} in the room` : 'nobody in the room'}
                  </Show>
                  <Show when={m.recurrence}>{(r) => <>; {describeRrule(r().rrule)}</>}</Show>
                  <Show when={m.state !== 'live' && timePassed(m)}>
                    ; its time has passed: start it now or cancel it
                  </Show>
                </p>
                <p class="muted small">
                  {m.has_passcode ? 'Passcode required' : 'No passcode'};{' '}
                  {m.lobby_enabled ? 'lobby on' : 'lobby off'}
                </p>
                <label class="sr-only" for={`link-${m.id}`}>
                  {links()[m.id] ? 'Invite link' : 'Meeting link'} for {m.title}
                </label>
                <input
                  id={`link-${m.id}`}
                  class="invite-link"
                  readonly
                  value={links()[m.id]?.invite_url ?? m.join_url}
                  aria-describedby={links()[m.id] ? undefined : `link-for-${m.id}`}
                  onFocus={(e) => e.currentTarget.select()}
                />
                <Show when={!links()[m.id]}>
                  <p class="muted small" id={`link-for-${m.id}`}>
                    This link is for members of the organization. For guests, use Copy invite link.
                  </p>
                </Show>
                <Show when={links()[m.id]}>
                  {(l) => (
                    <p class="muted small" role="status">
                      Guests can join with this link until {formatWhen(l().expires_at)}
                      {copied() === `manual:${m.id}`
                        ? '. Copying is blocked here: copy it from the box.'
                        : '.'}
                    </p>
                  )}
                </Show>
              </div>
              <div class="meeting-actions">
                <button type="button" class="primary" onClick={() => navigate(`/join/${m.id}`)}>
                  {m.state === 'live' ? 'Join' : 'Start'}
                </button>
                <button type="button" class="swap-label" onClick={() => void copy(m)}>
                  <span classList={{ off: copied() === m.id }}>Copy invite link</span>
                  <span classList={{ off: copied() !== m.id }}>Link copied</span>
                </button>
                <Show when={m.recurrence}>
                  <ChatLink meetingId={m.id} title={m.title} />
                </Show>
                <Show when={m.recurrence || m.state === 'live'}>
                  <RecordingsLink meetingId={m.id} title={m.title} meeting={m} />
                </Show>
                {/* A live meeting is ended from inside it (End meeting for all), not cancelled. */}
                <Show when={m.state !== 'live'}>
                  <button type="button" class="danger-text" onClick={() => void cancel(m)}>
                    Cancel meeting
                  </button>
                </Show>
              </div>
            </li>
          )}
        </MeetingList>
      </section>
      <PastMeetings orgId={orgId()} refresh={pastRefresh()} />
    </section>
  );
}

function ScheduleForm(props: { onCreated: () => void | Promise<void>; onCancel: () => void }): JSX.Element {
  const { orgId } = useSession();
  const zones = timeZoneChoices();
  const inAnHour = new Date(Date.now() + 60 * 60_000);
  const [title, setTitle] = createSignal('');
  const [date, setDate] = createSignal(localDate(inAnHour));
  const [time, setTime] = createSignal(`${String(inAnHour.getHours()).padStart(2, '0')}:00`);
  const [zone, setZone] = createSignal(browserZone());
  const [duration, setDuration] = createSignal('60');
  const [repeat, setRepeat] = createSignal<Repeat>('none');
  const [count, setCount] = createSignal('10');
  const [passcode, setPasscode] = createSignal('');
  const [lobby, setLobby] = createSignal(true);
  const [error, setError] = createSignal<string | null>(null);
  // A start already past: said under the date if that day is over there, else under the time.
  const [past, setPast] = createSignal<'date' | 'time' | null>(null);
  const [busy, setBusy] = createSignal(false);
  let form: HTMLFormElement | undefined;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setError(null);
    setPast(null);
    let starts: Date;
    try {
      starts = zonedToInstant(date(), time(), zone());
    } catch (err) {
      setError(errorText(err));
      return;
    }
    if (starts.getTime() <= Date.now()) {
      setPast(zonedToInstant(date(), '23:59', zone()).getTime() < Date.now() ? 'date' : 'time');
      queueMicrotask(() => focusFirstInvalid(form));
      return;
    }
    setBusy(true);
    try {
      const rrule = rruleFor(repeat(), date(), Number(count()));
      await meetingsApi.create({
        ...(orgId() ? { org_id: orgId() } : {}),
        title: title().trim(),
        kind: 'scheduled',
        starts_at: starts.toISOString(),
        duration_minutes: Number(duration()),
        time_zone: zone(),
        recurrence: rrule === null ? null : { rrule },
        passcode: passcode().trim() === '' ? null : passcode().trim(),
        lobby_enabled: lobby(),
      });
      await props.onCreated();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="card schedule" onSubmit={(e) => void submit(e)} aria-label="Schedule a meeting">
      <h2>Schedule a meeting</h2>
      <FormError message={error()} />
      <Field
        label="Title"
        name="title"
        required
        maxLength={TITLE_MAX}
        hint={titleNote(title().length)}
        value={title()}
        onInput={(e) => setTitle(e.currentTarget.value)}
      />
      <div class="grid2">
        <Field
          label="Date"
          type="date"
          name="date"
          required
          value={date()}
          error={past() === 'date' ? PAST_START : undefined}
          onInput={(e) => {
            setDate(e.currentTarget.value);
            setPast(null);
          }}
        />
        <Field
          label="Time"
          type="time"
          name="time"
          required
          value={time()}
          error={past() === 'time' ? PAST_START : undefined}
          onInput={(e) => {
            setTime(e.currentTarget.value);
            setPast(null);
          }}
        />
      </div>
      <div class="grid2">
        <div class="field">
          <label for="sched-zone">Time zone</label>
          <select
            id="sched-zone"
            name="timeZone"
            value={zone()}
            onChange={(e) => {
              setZone(e.currentTarget.value);
              setPast(null);
            }}
          >
            <For each={zones}>{(z) => <option value={z}>{z}</option>}</For>
          </select>
        </div>
        <div class="field">
          <label for="sched-duration">Duration</label>
          <select
            id="sched-duration"
            name="duration"
            value={duration()}
            onChange={(e) => setDuration(e.currentTarget.value)}
          >
            <option value="15">15 minutes</option>
            <option value="30">30 minutes</option>
            <option value="45">45 minutes</option>
            <option value="60">1 hour</option>
            <option value="90">1.5 hours</option>
            <option value="120">2 hours</option>
          </select>
        </div>
      </div>
      <div class="grid2">
        <div class="field">
          <label for="sched-repeat">Repeats</label>
          <select
            id="sched-repeat"
            name="repeat"
            value={repeat()}
            onChange={(e) => setRepeat(e.currentTarget.value as Repeat)}
          >
            <option value="none">Does not repeat</option>
            <option value="daily">Every day</option>
            <option value="weekdays">Every weekday</option>
            <option value="weekly">Every week</option>
            <option value="monthly">Every month</option>
          </select>
        </div>
        <Show when={repeat() !== 'none'}>
          <Field
            label="Number of meetings"
            type="number"
            min="2"
            max="100"
            value={count()}
            onInput={(e) => setCount(e.currentTarget.value)}
          />
        </Show>
      </div>
      <Field
        label="Passcode (optional)"
        name="passcode"
        autocomplete="off"
        pattern="[A-Za-z0-9]{4,32}"
        hint="4 to 32 letters or digits. Guests without an invitation enter it to join."
        value={passcode()}
        onInput={(e) => setPasscode(e.currentTarget.value)}
      />
      <label class="check">
        <input
          type="checkbox"
          name="lobby"
          checked={lobby()}
          onChange={(e) => setLobby(e.currentTarget.checked)}
        />
        Guests wait in a lobby until a host admits them
      </label>
      <div class="row gap">
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? 'Scheduling' : 'Schedule'}
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Close
        </button>
      </div>
    </form>
  );
}
