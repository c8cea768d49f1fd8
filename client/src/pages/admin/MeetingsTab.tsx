import { createSignal, For, Show, type JSX } from 'solid-js';
import { meetingsApi, type Meeting, type MeetingState } from '../../api/meetings.js';
import { FormError } from '../../components/Field.js';
import { formatWhen } from '../../lib/time.js';
import { useShownOrg } from './common.js';
import { ShownOrgPicker } from './OrgPicker.js';
import { createPagedList } from './paged.js';
import { EmptyRow, MoreButton, TableHead } from './table.js';

const STATES: ReadonlyArray<readonly [MeetingState | '', string]> = [
  ['', 'Every state'],
  ['scheduled', 'Scheduled'],
  ['live', 'Live'],
  ['ended', 'Ended'],
  ['cancelled', 'Cancelled'],
];

/**
 * The organization's meetings, newest first, with their recordings and chat transcripts once ended; the
 * superadmin, or an admin of several organizations, picks whose.
 */
export function MeetingsTab(): JSX.Element {
  const { picked, setPicked, org, canPick } = useShownOrg();
  const [state, setState] = createSignal<MeetingState | ''>('');
  const { items, cursor, loading, error, load } = createPagedList(async (from) => {
    const page = await meetingsApi.list(org(), state() === '' ? undefined : (state() as MeetingState), from);
    return { items: page.items, next: page.next_cursor };
  });
  void load();

  const when = (m: Meeting) => formatWhen(m.started_at ?? m.starts_at ?? m.created_at);

  return (
    <div>
      <Show when={canPick()}>
        <ShownOrgPicker
          purpose="Whose meetings"
          value={picked()}
          onChange={(id) => {
            setPicked(id);
            void load();
          }}
        />
      </Show>
      <div class="row between wrap">
        <h2>Meetings</h2>
        <div class="row gap">
          <label for="meeting-state">State</label>
          <select
            id="meeting-state"
            class="fit"
            value={state()}
            onChange={(e) => {
              setState(e.currentTarget.value as MeetingState | '');
              void load();
            }}
          >
            <For each={STATES}>{([value, label]) => <option value={value}>{label}</option>}</For>
          </select>
        </div>
      </div>
      <FormError message={error()} />
      <div class="table-wrap">
        <table class="stack" aria-label="Meetings">
          <TableHead columns={['Meeting', 'State', 'When', 'Participants']} hidden="Links" />
          <tbody>
            <For
              each={items()}
              fallback={<EmptyRow columns={5}>{loading() ? 'Loading' : 'No meetings.'}</EmptyRow>}
            >
              {(m) => (
                <tr aria-label={m.title}>
                  <td data-label="Meeting" class="typed">
                    {m.title}
                  </td>
                  <td data-label="State">
                    <span class="badge" classList={{ live: m.state === 'live' }}>
                      {m.state}
                    </span>
                  </td>
                  <td data-label="When">{when(m)}</td>
                  <td data-label="Participants">{m.state === 'live' ? m.participant_count : ''}</td>
                  <td data-label="Links">
                    <div class="row wrap">
                      <a href={`/meetings/${m.id}/recordings`}>
                        Recordings<span class="sr-only"> of {m.title}</span>
                      </a>
                      <a href={`/meetings/${m.id}/chat`}>
                        Chat<span class="sr-only"> of {m.title}</span>
                      </a>
                    </div>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <MoreButton cursor={cursor()} busy={loading()} onMore={(next) => void load(next)} />
    </div>
  );
}
