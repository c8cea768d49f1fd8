import { createResource, createSignal, Show, type JSX } from 'solid-js';
import { errorText } from '../../api/http.js';
import { recordingsApi } from '../../api/recordings.js';
import { FormError } from '../../components/Field.js';
import { useAdminScope } from './common.js';

/** How long the organization keeps its recordings; an hourly job removes older ones. */
export function RecordingsTab(): JSX.Element {
  const { adminOrg } = useAdminScope();
  const [retention, { mutate }] = createResource(adminOrg, (org) => recordingsApi.retention(org));
  const [error, setError] = createSignal<string | null>(null);
  const [saved, setSaved] = createSignal(false);
  const save = async (event: SubmitEvent) => {
    event.preventDefault();
    const org = adminOrg();
    if (org === undefined) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const keepAll = form.get('keep') === 'all';
    const days = Number(form.get('days'));
    if (!keepAll && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      setError('Enter a number of days from 1 to 3650.');
      return;
    }
    try {
      mutate(await recordingsApi.setRetention(org, keepAll ? null : days));
      setError(null);
      setSaved(true);
    } catch (err) {
      setSaved(false);
      setError(errorText(err));
    }
  };
  return (
    <div>
      <h2>Keeping recordings</h2>
      <Show when={retention.error}>
        <FormError message={errorText(retention.error)} />
      </Show>
      <Show when={retention()}>
        {(r) => (
          <form class="retention-form" onSubmit={(e) => void save(e)} onInput={() => setSaved(false)}>
            <p class="muted">
              Recordings older than this are deleted with their files, once an hour. Hosts can always delete a
              recording sooner.
            </p>
            <label>
              <input type="radio" name="keep" value="all" checked={r().days === null} /> Keep recordings until
              someone deletes them
            </label>
            <label>
              <input type="radio" name="keep" value="days" checked={r().days !== null} /> Delete recordings
              after{' '}
              <input
                type="number"
                name="days"
                min="1"
                max="3650"
                value={r().days ?? 90}
                aria-label="Days to keep recordings"
                class="days-input"
              />{' '}
              days
            </label>
            <FormError message={error()} />
            <div>
              <button type="submit">Save</button>
              <Show when={saved()}>
                <span class="muted" role="status">
                  {' '}
                  Saved.
                </span>
              </Show>
            </div>
          </form>
        )}
      </Show>
    </div>
  );
}
