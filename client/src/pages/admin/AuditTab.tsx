import { createSignal, For, Show, type JSX } from 'solid-js';
import { adminApi, type AuditEvent } from '../../api/auth.js';
import { billingApi } from '../../api/billing.js';
import { meetingsApi } from '../../api/meetings.js';
import { recordingsApi } from '../../api/recordings.js';
import { errorText } from '../../api/http.js';
import { FormError } from '../../components/Field.js';
import { participantOf, recordingMeeting } from './auditRows.js';
import { useAdminScope } from './common.js';
import { actorIdFor, PersonName } from './names.js';
import { OrgPicker } from './OrgPicker.js';
import { createPagedList, type Page } from './paged.js';
import { auditParams, type AuditFilterInput } from './stats.js';
import { EmptyRow, MoreButton, TableHead } from './table.js';

type Source = 'meetings' | 'recordings' | 'accounts' | 'billing' | 'platform';

/** The logs kept per organization, whose organization the superadmin picks. */
const PER_ORG: ReadonlySet<Source> = new Set(['meetings', 'recordings', 'accounts']);

const EMPTY: AuditFilterInput = { actor: '', action: '', target: '', from: '', to: '' };

/** One page of a log, whichever service keeps it. */
async function fetchPage(
  source: Source,
  superadmin: boolean,
  org: string | undefined,
  filter: Record<string, string>,
  cursor: string | undefined,
): Promise<Page<AuditEvent>> {
  if (source === 'meetings') {
    if (org === undefined) return { items: [], next: null };
    const page = await meetingsApi.audit(org, filter, cursor);
    return {
      items: page.items.map((e) => ({
        ...e,
        entityId: e.entity_id,
        orgId: e.org_id,
        requestId: e.request_id,
      })),
      next: page.next_cursor,
    };
  }
  if (source === 'recordings') {
    if (org === undefined) return { items: [], next: null };
    const page = await recordingsApi.audit(org, filter, cursor);
    return { items: page.items, next: page.nextCursor };
  }
  if (source === 'billing') {
    // The superadmin reads all of billing's log; an org admin their organization's subscription changes.
    if (superadmin) {
      const page = await billingApi.audit(filter, cursor);
      return { items: page.items, next: page.nextCursor };
    }
    if (org === undefined) return { items: [], next: null };
    const page = await billingApi.orgAudit(org, filter, cursor);
    return { items: page.items, next: page.nextCursor };
  }
  if (source === 'platform') {
    const page = await adminApi.platformAudit(filter, cursor);
    return { items: page.items, next: page.nextCursor };
  }
  if (org === undefined) return { items: [], next: null };
  const page = await adminApi.orgAudit(org, filter, cursor);
  return { items: page.items, next: page.nextCursor };
}

/**
 * The audit logs (meetings in control, recordings in recording, accounts in auth, plans and subscriptions in billing, the whole
 * platform), filtered on the server. The superadmin picks whose meeting and account log to read.
 */
export function AuditTab(): JSX.Element {
  const { superadmin, adminOrg } = useAdminScope();
  const [source, setSource] = createSignal<Source>('meetings');
  const [pickedOrg, setPickedOrg] = createSignal(adminOrg() ?? '');
  const org = () => (superadmin() ? pickedOrg() || undefined : adminOrg());
  const [input, setInput] = createSignal<AuditFilterInput>(EMPTY);
  const [applied, setApplied] = createSignal<Record<string, string>>({});
  const {
    items: events,
    cursor,
    loading,
    error,
    setError,
    load,
    clear,
  } = createPagedList((from) => fetchPage(source(), superadmin(), org(), applied(), from));
  void load();

  /** Whose people the reader can look up: their organization's, or every account for the superadmin. */
  const people = () => (superadmin() ? undefined : adminOrg());
  const apply = async (event: SubmitEvent) => {
    event.preventDefault();
    let actor: string;
    try {
      actor = await actorIdFor(input().actor, people());
    } catch (e) {
      clear();
      setError(errorText(e));
      return;
    }
    const result = auditParams({ ...input(), actor });
    if (!result.ok) {
      clear();
      setError(result.message);
      return;
    }
    setApplied(result.params);
    void load();
  };
  const set = (key: keyof AuditFilterInput, value: string) => setInput({ ...input(), [key]: value });

  return (
    <div>
      <form class="audit-filters" aria-label="Audit log filters" onSubmit={(e) => void apply(e)}>
        <div class="field">
          <label for="audit-source">Log</label>
          <select
            id="audit-source"
            value={source()}
            onChange={(e) => {
              setSource(e.currentTarget.value as Source);
              void load();
            }}
          >
            <option value="meetings">Meetings</option>
            <option value="recordings">Recordings</option>
            <option value="accounts">Accounts and members</option>
            <option value="billing">{superadmin() ? 'Plans and billing' : 'Plan changes'}</option>
            <Show when={superadmin()}>
              <option value="platform">Whole platform</option>
            </Show>
          </select>
        </div>
        <Show when={superadmin() && PER_ORG.has(source())}>
          <OrgPicker
            value={pickedOrg()}
            onChange={(id) => {
              setPickedOrg(id);
              void load();
            }}
          />
        </Show>
        <div class="field">
          <label for="audit-actor">Actor</label>
          <input
            id="audit-actor"
            placeholder="Name, e-mail or id"
            value={input().actor}
            onInput={(e) => set('actor', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="audit-action">Action starts with</label>
          <input
            id="audit-action"
            placeholder="meeting."
            value={input().action}
            onInput={(e) => set('action', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="audit-target">Target id</label>
          <input
            id="audit-target"
            value={input().target}
            onInput={(e) => set('target', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="audit-from">From</label>
          <input
            id="audit-from"
            type="datetime-local"
            value={input().from}
            onInput={(e) => set('from', e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="audit-to">Until</label>
          <input
            id="audit-to"
            type="datetime-local"
            value={input().to}
            onInput={(e) => set('to', e.currentTarget.value)}
          />
        </div>
        <div class="row gap filter-buttons">
          <button type="submit" class="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setInput(EMPTY);
              setApplied({});
              void load();
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <FormError message={error()} />
      <div class="table-wrap">
        <table class="stack" aria-label="Audit events">
          <TableHead columns={['When', 'Actor', 'Action', 'Target', 'Details']} />
          <tbody>
            <For
              each={events()}
              fallback={<EmptyRow columns={5}>{loading() ? 'Loading' : 'No events.'}</EmptyRow>}
            >
              {(e) => (
                <tr>
                  <td data-label="When">{new Date(e.at).toLocaleString()}</td>
                  <td data-label="Actor">
                    <Show
                      when={participantOf(e)?.name}
                      fallback={<PersonName id={participantOf(e)?.identity || e.actor} org={people()} />}
                    >
                      {(name) => (
                        <>
                          {name()}
                          <span class="muted small break"> ({participantOf(e)?.identity || e.actor})</span>
                        </>
                      )}
                    </Show>
                  </td>
                  <td data-label="Action">{e.action}</td>
                  <td data-label="Target" class="break">
                    {e.entity} {e.entityId}
                    <Show when={recordingMeeting(e)}>
                      {(meeting) => <span class="muted small"> of meeting {meeting()}</span>}
                    </Show>
                  </td>
                  <td data-label="Details">
                    <details>
                      <summary>Show</summary>
                      <pre>
                        {JSON.stringify(
                          { before: e.before, after: e.after, requestId: e.requestId },
                          null,
                          2,
                        )}
                      </pre>
                    </details>
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
