import { createSignal, For, Show, type JSX } from 'solid-js';
import { adminViewsApi, type SystemHealth } from '../../api/admin.js';
import { errorText } from '../../api/http.js';
import { usePolling } from './common.js';
import { EmptyRow, LoadError, TableHead } from './table.js';

const POLL_MS = 10_000;

const STATUS_TEXT = { ready: 'Ready', not_ready: 'Not ready', unreachable: 'Unreachable' } as const;

/** Each role's readiness and the SFU workers' load (superadmin), refreshed while the tab is open. */
export function HealthTab(): JSX.Element {
  const [health, setHealth] = createSignal<SystemHealth | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  usePolling(async () => {
    try {
      setHealth(await adminViewsApi.systemHealth());
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, POLL_MS);

  return (
    <div>
      <div class="row between wrap">
        <h2>Roles</h2>
        <span class="muted small" role="status">
          <Show when={health()} fallback="Loading">
            {(h) => `Checked ${new Date(h().checked_at).toLocaleTimeString()}`}
          </Show>
        </span>
      </div>
      <LoadError message={error()} />
      <div class="table-wrap">
        <table class="stack" aria-label="Readiness of each role">
          <TableHead columns={['Role', 'Status', 'Checks', 'Answered in']} />
          <tbody>
            <For each={health()?.roles ?? []}>
              {(r) => (
                <tr aria-label={r.role}>
                  <td data-label="Role">{r.role}</td>
                  <td data-label="Status">
                    <span class="status" data-status={r.status}>
                      {STATUS_TEXT[r.status]}
                    </span>
                  </td>
                  <td data-label="Checks" class="break">
                    <For
                      each={Object.entries(r.checks)}
                      fallback={<span class="muted">{r.error ?? ''}</span>}
                    >
                      {([name, value]) => (
                        <div>
                          {name}: {value}
                        </div>
                      )}
                    </For>
                  </td>
                  <td data-label="Answered in">{r.latency_ms} ms</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <h2>SFU workers</h2>
      <div class="table-wrap">
        <table class="stack" aria-label="SFU workers">
          <TableHead columns={['Worker', 'Rooms', 'Peers', 'Tracks in / out', 'CPU', 'State']} />
          <tbody>
            <For
              each={health()?.sfu ?? []}
              fallback={
                <EmptyRow columns={6}>
                  {health() === null ? 'Loading' : 'No SFU worker is known to the gateway.'}
                </EmptyRow>
              }
            >
              {(node) => (
                <Show
                  when={node.error === null}
                  fallback={
                    <tr aria-label={node.address}>
                      <td data-label="Worker" class="break">
                        {node.address}
                      </td>
                      <td colspan="5" data-label="State">
                        <span class="status" data-status="unreachable">
                          Unreachable
                        </span>{' '}
                        <span class="muted small">{node.error}</span>
                      </td>
                    </tr>
                  }
                >
                  <For each={node.workers}>
                    {(w) => (
                      <tr aria-label={w.worker_id}>
                        <td data-label="Worker" class="break">
                          {w.worker_id}
                          <div class="muted small">{node.address}</div>
                        </td>
                        <td data-label="Rooms">{w.routers}</td>
                        <td data-label="Peers">{w.peers}</td>
                        <td data-label="Tracks in / out">
                          {w.producers} / {w.consumers}
                        </td>
                        <td data-label="CPU">{Math.round(w.cpu_load * 100)}%</td>
                        <td data-label="State">
                          <span class="status" data-status={w.draining ? 'not_ready' : 'ready'}>
                            {w.draining ? 'Draining' : 'Taking rooms'}
                          </span>
                        </td>
                      </tr>
                    )}
                  </For>
                </Show>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </div>
  );
}
