import { createResource, createSignal, For, Show, type JSX } from 'solid-js';
import {
  billingApi,
  formatAmount,
  formatPlanPrice,
  type DayUsage,
  type Invoice,
  type UsagePage,
} from '../../api/billing.js';
import { errorText } from '../../api/http.js';
import { FormError, FormNotice } from '../../components/Field.js';
import { formatMeetingLength } from '../../lib/planLength.js';
import { useSession } from '../../session.js';
import { useAdminScope, useShownOrg } from './common.js';
import { OrgName, organizationName } from './names.js';
import { ShownOrgPicker } from './OrgPicker.js';
import { PlanEditor } from './PlanEditor.js';
import { presentMetrics, usageSeries } from './stats.js';
import { EmptyRow, TableHead } from './table.js';
import { UsageChart } from './UsageChart.js';

/** What billing meters per day, in the order the charts show them. */
const METRICS: ReadonlyArray<{ key: string; title: string; color: string }> = [
  { key: 'participant_minutes', title: 'Participant minutes', color: '#2457c5' },
  { key: 'meeting_minutes', title: 'Meeting minutes', color: '#1e7a46' },
  { key: 'recording_minutes', title: 'Recording minutes', color: '#a15c07' },
  { key: 'storage_gb_days', title: 'Storage GB-days', color: '#7a3fb0' },
  // From the SFU's byte counters; no plan prices it, so it is shown and never charged.
  { key: 'egress_gb', title: 'Egress estimate, GB (not charged)', color: '#8a2f4f' },
];

/** The organization's plan, usage per day (charts and table), invoices; the superadmin's view of all. */
export function BillingTab(): JSX.Element {
  const { superadmin } = useAdminScope();
  const { me } = useSession();
  // Whose plan, usage and invoices are shown: any organization the superadmin picks, one of theirs an admin
  // of several organizations picks, else the admin's own. The plan changer acts on the same organization.
  const { picked, setPicked, org, canPick } = useShownOrg();
  const [orgTitle] = createResource(org, async (id) => {
    const own = me()?.memberships.find((m) => m.orgId === id)?.orgName;
    if (own !== undefined) return own;
    return (superadmin() ? await organizationName(id) : null) ?? id;
  });
  const [subscription, { mutate: setSubscription, refetch: refetchSubscription }] = createResource(
    org,
    (id) => billingApi.subscription(id),
  );
  // Bumped when the superadmin saves a plan, so the plan changer offers what is offered now.
  const [plansVersion, setPlansVersion] = createSignal(0);
  const [usage] = createResource(org, (id) => billingApi.orgUsage(id));
  const [invoices] = createResource(org, async (id) => {
    const [list, preview] = await Promise.all([billingApi.invoices(id), billingApi.invoicePreview(id)]);
    return [preview, ...list.items];
  });
  const [all] = createResource(
    () => (superadmin() ? true : undefined),
    () => billingApi.allUsage(),
  );
  const [allInvoices] = createResource(
    () => (superadmin() ? true : undefined),
    async () => (await billingApi.allInvoices()).items,
  );
  const whose = () => orgTitle.latest ?? 'your organization';
  const caps = () => {
    const p = subscription()?.plan;
    if (p === undefined) return '';
    const minutes =
      p.max_meeting_minutes === 0
        ? 'no length cap'
        : `meetings up to ${formatMeetingLength(p.max_meeting_minutes, 'long')}`;
    const recording = p.recording_allowed ? `recording ${p.recording_hours} h a month` : 'no recording';
    return `${p.max_participants} participants, ${minutes}, ${recording}`;
  };
  return (
    <div>
      <Show when={canPick()}>
        <ShownOrgPicker purpose="Whose plan and usage" value={picked()} onChange={setPicked} />
      </Show>
      <h2>Plan of {whose()}</h2>
      <ResourceError resource={subscription} />
      <Show when={subscription()}>
        {(s) => (
          <p data-testid="billing-plan">
            <strong>{s().plan.name}</strong> (
            {formatPlanPrice(s().plan.price_monthly_cents, s().plan.currency)}
            ): {caps()}.
            <Show when={s().default_plan}>
              <span class="muted"> Every organization starts on this plan.</span>
            </Show>
            <Show when={s().period_end}>
              {(end) => (
                <span class="muted">
                  {' '}
                  The period runs until{' '}
                  {new Date(end()).toLocaleDateString(undefined, { dateStyle: 'medium' })}.
                </span>
              )}
            </Show>
          </p>
        )}
      </Show>
      <Show when={superadmin()}>
        <PlanChanger
          org={org() ?? ''}
          orgName={whose()}
          plansVersion={plansVersion()}
          onChanged={(next) => {
            if (next.org_id === org()) setSubscription(next);
          }}
        />
        <PlanEditor
          onSaved={() => {
            setPlansVersion(plansVersion() + 1);
            void refetchSubscription();
          }}
        />
      </Show>
      <h2>Usage per day of {whose()}</h2>
      <p class="muted">
        A person's minutes count once they leave a meeting, and a meeting's minutes once it is over (a host
        ended it, or everyone left), so a meeting in progress shows participant minutes before meeting
        minutes.
      </p>
      <ResourceError resource={usage} />
      <Show when={usage()}>
        {(u) => <Usage page={u()} showOrg={false} caption={`${whose()}, ${u().from} to ${u().to} (UTC)`} />}
      </Show>
      <h2>Invoices of {whose()}</h2>
      <ResourceError resource={invoices} />
      <Show when={invoices()}>
        {(items) => (
          <InvoiceTable
            items={items()}
            showOrg={false}
            empty="No invoices yet."
            label={`Invoices of ${whose()}`}
          />
        )}
      </Show>
      <Show when={superadmin()}>
        <h2>Usage of every organization</h2>
        <ResourceError resource={all} />
        <Show when={all()}>
          {(u) => <Usage page={u()} showOrg caption={`Every organization, ${u().from} to ${u().to} (UTC)`} />}
        </Show>
        {/* Billing lists the invoices it issued when it closed a month; the month so far is a preview each
            organization has of its own (the "Month so far" row above), never one of these. */}
        <h2>Issued invoices of every organization</h2>
        <p class="muted">
          Invoices are issued when a month is closed. The month so far of an organization is not one of them:
          it is listed under that organization's own invoices above.
        </p>
        <ResourceError resource={allInvoices} />
        <Show when={allInvoices()}>
          {(items) => (
            <InvoiceTable
              items={items()}
              showOrg
              empty="No organization has an issued invoice yet."
              label="Issued invoices of every organization"
            />
          )}
        </Show>
      </Show>
    </div>
  );
}

/** Why a part of the page could not be loaded, once its request failed. */
function ResourceError(props: { resource: { error: unknown } }): JSX.Element {
  return (
    <Show when={props.resource.error}>
      <FormError message={errorText(props.resource.error)} />
    </Show>
  );
}

/**
 * Superadmin: puts the organization shown (picked at the top of the tab) on another plan; no payment
 * provider is asked.
 */
function PlanChanger(props: {
  org: string;
  orgName: string;
  plansVersion: number;
  onChanged: (next: Awaited<ReturnType<typeof billingApi.setPlan>>) => void;
}): JSX.Element {
  const [plans] = createResource(
    () => props.plansVersion,
    async () => (await billingApi.plans()).items.filter((p) => p.active),
  );
  const org = () => props.org;
  const [plan, setPlan] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  const [done, setDone] = createSignal<string | null>(null);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    if (org() === '' || plan() === '') {
      setError(org() === '' ? 'Choose an organization at the top of the page.' : 'Choose a plan.');
      return;
    }
    try {
      const next = await billingApi.setPlan(org(), plan());
      props.onChanged(next);
      setDone(`The organization is now on the ${next.plan.name} plan.`);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form class="plan-changer" aria-label="Change an organization's plan" onSubmit={(e) => void submit(e)}>
      <div class="field">
        <label for="plan-id">New plan for {props.orgName}</label>
        <select id="plan-id" value={plan()} onChange={(e) => setPlan(e.currentTarget.value)}>
          <option value="">Choose a plan</option>
          <For each={plans.latest ?? []}>
            {(p) => (
              <option value={p.id}>
                {p.name} ({formatPlanPrice(p.price_monthly_cents, p.currency)})
              </option>
            )}
          </For>
        </select>
      </div>
      <div class="filter-buttons">
        <button type="submit">Change plan</button>
      </div>
      <FormError message={error()} />
      <FormNotice message={done()} />
    </form>
  );
}

function Usage(props: { page: UsagePage; showOrg: boolean; caption: string }): JSX.Element {
  // Participant and meeting minutes always; recording, storage and egress once billing reports them.
  const metrics = () =>
    METRICS.filter(
      (m) =>
        m.key === 'participant_minutes' ||
        m.key === 'meeting_minutes' ||
        presentMetrics(props.page.items, [m.key]).length > 0,
    );
  const series = () =>
    usageSeries(
      props.page.items,
      props.page.from,
      props.page.to,
      metrics().map((m) => m.key),
    );
  return (
    <div>
      <div class="charts">
        <For each={metrics()}>
          {(m) => (
            <UsageChart
              title={m.title}
              days={series().days}
              values={series().values[m.key] ?? []}
              color={m.color}
            />
          )}
        </For>
      </div>
      <details>
        <summary>Show as a table</summary>
        <UsageTable
          items={props.page.items}
          showOrg={props.showOrg}
          caption={props.caption}
          metrics={metrics()}
        />
      </details>
    </div>
  );
}

function UsageTable(props: {
  items: DayUsage[];
  showOrg: boolean;
  caption: string;
  metrics: ReadonlyArray<{ key: string; title: string }>;
}): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption>{props.caption}</caption>
        <TableHead
          columns={['Day', ...(props.showOrg ? ['Organization'] : []), ...props.metrics.map((m) => m.title)]}
        />
        <tbody>
          <For
            each={props.items}
            fallback={
              <EmptyRow columns={props.metrics.length + (props.showOrg ? 2 : 1)}>
                No meetings in this period.
              </EmptyRow>
            }
          >
            {(d) => (
              <tr>
                <td data-label="Day">{d.day}</td>
                <Show when={props.showOrg}>
                  <td data-label="Organization">
                    <OrgName id={d.org_id} />
                  </td>
                </Show>
                <For each={props.metrics}>{(m) => <td data-label={m.title}>{d[m.key] ?? 0}</td>}</For>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}

const STATUS_TEXT: Record<Invoice['status'], string> = {
  draft: 'Month so far',
  due: 'Due',
  paid: 'Paid',
  void: 'Void',
};

function InvoiceTable(props: {
  items: Invoice[];
  showOrg: boolean;
  empty: string;
  label: string;
}): JSX.Element {
  return (
    <div class="table-wrap">
      <table class="stack" aria-label={props.label}>
        <TableHead
          columns={['Month', ...(props.showOrg ? ['Organization'] : []), 'Number', 'Plan', 'Total', 'Status']}
          hidden="Printable invoice"
        />
        <tbody>
          <For
            each={props.items}
            fallback={<EmptyRow columns={props.showOrg ? 7 : 6}>{props.empty}</EmptyRow>}
          >
            {(inv) => (
              <tr aria-label={`Invoice ${inv.number ?? inv.period}`}>
                <td data-label="Month">{inv.period}</td>
                <Show when={props.showOrg}>
                  <td data-label="Organization">
                    <OrgName id={inv.org_id} />
                  </td>
                </Show>
                <td data-label="Number">{inv.number ?? '-'}</td>
                <td data-label="Plan">{inv.plan_name}</td>
                <td data-label="Total">{formatAmount(inv.total_cents, inv.currency)}</td>
                <td data-label="Status">{STATUS_TEXT[inv.status]}</td>
                <td data-label="Invoice">
                  <a href={inv.html_url} target="_blank" rel="noopener">
                    Printable invoice<span class="sr-only"> for {inv.period}</span>
                  </a>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </div>
  );
}
