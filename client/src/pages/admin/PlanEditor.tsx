// Superadmin: the plans of the installation, each editable (limits, prices, recording hours, storage), and
// a new one. Billing judges the values; its per-field messages show next to the inputs they are about.
import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { billingApi, formatPlanPrice, type Plan } from '../../api/billing.js';
import { ApiError, errorText } from '../../api/http.js';
import { Field, FormError, FormNotice } from '../../components/Field.js';
import { formatMeetingLength } from '../../lib/planLength.js';
import {
  planBodyOf,
  planErrorsOf,
  planFormOf,
  type PlanForm,
  type PlanFormErrors,
  type WholeField,
} from './planForm.js';
import { EmptyRow, TableHead } from './table.js';

/** The whole-number inputs, in the order the form shows them, with their labels and hints. */
const LIMITS: ReadonlyArray<{ key: WholeField; label: string; hint?: string }> = [
  { key: 'max_participants', label: 'Participants per meeting' },
  { key: 'max_meeting_minutes', label: 'Meeting length in minutes', hint: '0: no cap' },
  { key: 'recording_hours', label: 'Recording hours a month', hint: '0: no cap when recording is on' },
  { key: 'storage_gb', label: 'Recording storage in GB', hint: '0: no cap when recording is on' },
];
const OVERAGE: ReadonlyArray<{ key: WholeField; label: string }> = [
  { key: 'overage_participant_minute_microcents', label: 'Each participant minute' },
  { key: 'overage_meeting_minute_microcents', label: 'Each meeting minute' },
  { key: 'overage_recording_minute_microcents', label: 'Each recording minute' },
  { key: 'overage_storage_gb_day_microcents', label: 'Each GB-day of storage' },
];

export function PlanEditor(props: { onSaved?: (plan: Plan) => void }): JSX.Element {
  const [plans, { refetch }] = createResource(async () => (await billingApi.plans()).items);
  /** The plan being edited: its id, `new` for a new plan, null while the form is closed. */
  const [editing, setEditing] = createSignal<string | null>(null);
  const [done, setDone] = createSignal<string | null>(null);
  const open = (id: string) => {
    setDone(null);
    setEditing(id);
  };
  return (
    <section aria-labelledby="plans-heading">
      <div class="row between">
        <h2 id="plans-heading">Plans</h2>
        <button type="button" class="small" onClick={() => open('new')}>
          New plan
        </button>
      </div>
      <Show when={plans.error}>
        <FormError message={errorText(plans.error)} />
      </Show>
      <div class="table-wrap">
        <table class="stack" aria-label="Plans">
          <TableHead
            columns={['Plan', 'Price', 'Participants', 'Length', 'Recording', 'Offered']}
            hidden="Edit"
          />
          <tbody>
            <For each={plans.latest ?? []} fallback={<EmptyRow columns={7}>Loading</EmptyRow>}>
              {(p) => (
                <tr aria-label={`Plan ${p.name}`}>
                  <td data-label="Plan" class="break">
                    <span>
                      {p.name} <span class="muted">({p.id})</span>
                    </span>
                  </td>
                  <td data-label="Price">{formatPlanPrice(p.price_monthly_cents, p.currency)}</td>
                  <td data-label="Participants">{p.max_participants}</td>
                  <td data-label="Length">
                    {p.max_meeting_minutes === 0 ? 'no cap' : formatMeetingLength(p.max_meeting_minutes)}
                  </td>
                  <td data-label="Recording">
                    {p.recording_allowed ? `${p.recording_hours} h, ${p.storage_gb} GB` : 'none'}
                  </td>
                  <td data-label="Offered">{p.active ? 'yes' : 'no'}</td>
                  <td data-label="Edit">
                    <button type="button" class="small" onClick={() => open(p.id)}>
                      Edit<span class="sr-only"> {p.name}</span>
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <FormNotice message={done()} />
      <Show when={editing()} keyed>
        {(id) => (
          <PlanFormView
            plan={id === 'new' ? undefined : (plans.latest ?? []).find((p) => p.id === id)}
            onCancel={() => setEditing(null)}
            onSaved={(plan, created) => {
              setEditing(null);
              setDone(`${created ? 'Created' : 'Saved'} the ${plan.name} plan.`);
              void refetch();
              props.onSaved?.(plan);
            }}
          />
        )}
      </Show>
    </section>
  );
}

function PlanFormView(props: {
  plan: Plan | undefined;
  onCancel: () => void;
  onSaved: (plan: Plan, created: boolean) => void;
}): JSX.Element {
  const creating = props.plan === undefined;
  const [form, setForm] = createSignal<PlanForm>(planFormOf(props.plan));
  const [errors, setErrors] = createSignal<PlanFormErrors & { ''?: string }>({});
  const [failure, setFailure] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const set = <K extends keyof PlanForm>(key: K, value: PlanForm[K]) => setForm({ ...form(), [key]: value });
  const text = (key: keyof PlanForm) => String(form()[key]);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setFailure(null);
    const parsed = planBodyOf(form());
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const saved = creating
        ? await billingApi.createPlan(form().id.trim(), parsed.body)
        : await billingApi.updatePlan(props.plan?.id ?? '', parsed.body);
      props.onSaved(saved, creating);
    } catch (e) {
      if (e instanceof ApiError && e.fields.length > 0) {
        const byField = planErrorsOf(e.fields);
        setErrors(byField);
        // The form may be long: say here, beside the button, that the reasons are under the fields.
        setFailure(
          byField[''] === undefined
            ? `${e.message}: see the message under each marked field.`
            : `${e.message}: ${byField['']}`,
        );
      } else {
        setFailure(errorText(e));
      }
    } finally {
      setBusy(false);
    }
  };

  const whole = (f: { key: WholeField; label: string; hint?: string }) => (
    <Field
      label={f.label}
      inputmode="numeric"
      value={text(f.key)}
      error={errors()[f.key]}
      {...(f.hint === undefined ? {} : { hint: f.hint })}
      onInput={(e) => set(f.key, e.currentTarget.value)}
    />
  );

  return (
    <form
      class="plan-form"
      aria-label={creating ? 'New plan' : `Edit the ${props.plan?.name ?? ''} plan`}
      onSubmit={(e) => void submit(e)}
      novalidate
    >
      <h3>{creating ? 'New plan' : `Edit the ${props.plan?.name ?? ''} plan`}</h3>
      <div class="plan-fields">
        <Show when={creating}>
          <Field
            label="Plan id"
            hint="Lower-case letters, digits and dashes, e.g. team"
            value={text('id')}
            error={errors().id}
            onInput={(e) => set('id', e.currentTarget.value)}
          />
        </Show>
        <Field
          label="Name"
          value={text('name')}
          error={errors().name}
          onInput={(e) => set('name', e.currentTarget.value)}
        />
        <For each={LIMITS}>{(f) => whole(f)}</For>
        <Field
          label="Monthly price"
          inputmode="decimal"
          hint="In the currency below, e.g. 14.99"
          value={text('price_monthly_cents')}
          error={errors().price_monthly_cents}
          onInput={(e) => set('price_monthly_cents', e.currentTarget.value)}
        />
        <Field
          label="Currency"
          value={text('currency')}
          error={errors().currency}
          onInput={(e) => set('currency', e.currentTarget.value)}
        />
      </div>
      <label class="check">
        <input
          type="checkbox"
          checked={form().recording_allowed}
          onChange={(e) => set('recording_allowed', e.currentTarget.checked)}
        />{' '}
        Recording included
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={form().active}
          onChange={(e) => set('active', e.currentTarget.checked)}
        />{' '}
        Offered to organizations
      </label>
      <fieldset>
        <legend>Prices beyond what the plan includes, in millionths of a cent</legend>
        <div class="plan-fields">
          <For each={OVERAGE}>{(f) => whole(f)}</For>
        </div>
      </fieldset>
      <FormError message={failure()} />
      <div class="row gap">
        <button type="submit" class="primary" disabled={busy()}>
          {creating ? 'Create plan' : 'Save plan'}
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}
