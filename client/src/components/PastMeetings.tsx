import { A } from '@solidjs/router';
import { createEffect, createResource, on, Show, type JSX } from 'solid-js';
import { meetingsApi, type Meeting } from '../api/meetings.js';
import { mayOpenRecordings } from '../lib/recordingAccess.js';
import { formatWhen } from '../lib/time.js';
import { useSession } from '../session.js';
import { keepUnchanged, MeetingList } from './MeetingList.js';

/** The link to a meeting's chat transcript (a past meeting's, or the earlier occurrences' of a series). */
export function ChatLink(props: { meetingId: string; title: string }): JSX.Element {
  return (
    <A href={`/meetings/${encodeURIComponent(props.meetingId)}/chat`} class="button">
      Chat<span class="sr-only"> of {props.title}</span>
    </A>
  );
}

/**
 * The link to a meeting's recordings. With `meeting` given, only for those control lets in (its host, an
 * admin of its organization, the operator); the recordings page itself tells anyone else who to ask.
 */
export function RecordingsLink(props: {
  meetingId: string;
  title: string;
  meeting?: { host_id: string; org_id: string };
}): JSX.Element {
  const { me } = useSession();
  return (
    <Show when={props.meeting === undefined || mayOpenRecordings(me(), props.meeting)}>
      <A href={`/meetings/${encodeURIComponent(props.meetingId)}/recordings`} class="button">
        Recordings<span class="sr-only"> of {props.title}</span>
      </A>
    </Show>
  );
}

/**
 * Meetings that ended, newest first, each with its chat transcript. Read again whenever `refresh` changes
 * (the dashboard's refresh, so a meeting that ends while the page is open moves here without a reload).
 */
export function PastMeetings(props: { orgId: string | undefined; refresh?: number }): JSX.Element {
  const [past, { refetch }] = createResource<Meeting[], string>(
    () => props.orgId ?? '',
    async (org, { value }) =>
      keepUnchanged(value, (await meetingsApi.list(org === '' ? undefined : org, 'ended')).items),
  );
  createEffect(
    on(
      () => props.refresh,
      () => void refetch(),
      { defer: true },
    ),
  );
  return (
    <section aria-label="Past meetings">
      <h2>Past meetings</h2>
      <MeetingList items={past} loading="Loading past meetings" empty="No past meetings yet.">
        {(m) => (
          <li class="meeting-card card" data-meeting-id={m.id}>
            <div class="meeting-main">
              <h3>{m.title}</h3>
              <p class="muted">Ended {formatWhen(m.ended_at ?? m.created_at)}</p>
            </div>
            <div class="meeting-actions">
              <ChatLink meetingId={m.id} title={m.title} />
              <RecordingsLink meetingId={m.id} title={m.title} meeting={m} />
            </div>
          </li>
        )}
      </MeetingList>
    </section>
  );
}
