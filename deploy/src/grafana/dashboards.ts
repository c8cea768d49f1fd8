// Grafana dashboards, one per service, generated from one description so every service shows the same
// rows (errors, latency, active sessions, bandwidth, CPU, memory, sockets, logs) over the metrics that
// service really exports. `npm run dashboards -w @origo/deploy` writes deploy/observability/grafana/
// dashboards/*.json; a test fails when the committed files differ from this source.

export interface Query {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  unit: string;
  queries: Query[];
}

export interface ServiceDashboard {
  service: string;
  title: string;
  /** Panels of the "active sessions" row: what this service holds open or serves. */
  sessions: Panel[];
  /** Panels of the "errors" row beyond the HTTP and gRPC ones. */
  errors?: Panel[];
  /** Panels of the "bandwidth" row beyond the pod network counters every service gets. */
  bandwidth?: Panel[];
  /** Whether the service answers HTTP (every role except signaling, whose WebSocket tier is uWS). */
  http: boolean;
  grpcServer: boolean;
}

const sel = (service: string, extra = ''): string =>
  `service="${service}", pod=~"$pod"${extra ? `, ${extra}` : ''}`;
const notHealth = 'route!~"/health/.*|/metrics"';

function commonPanels(d: ServiceDashboard): Array<{ row: string; panels: Panel[] }> {
  const s = d.service;
  const errors: Panel[] = [...(d.errors ?? [])];
  const latency: Panel[] = [];
  if (d.http) {
    errors.push({
      title: 'HTTP 5xx ratio',
      unit: 'percentunit',
      queries: [
        {
          expr: `sum(rate(origo_http_request_duration_seconds_count{${sel(s, `${notHealth}, status=~"5.."`)}}[5m])) / sum(rate(origo_http_request_duration_seconds_count{${sel(s, notHealth)}}[5m]))`,
          legend: '5xx ratio',
        },
      ],
    });
    errors.push({
      title: 'HTTP responses by status',
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (status) (rate(origo_http_request_duration_seconds_count{${sel(s, notHealth)}}[5m]))`,
          legend: '{{status}}',
        },
      ],
    });
    latency.push({
      title: 'HTTP latency',
      unit: 's',
      queries: [0.5, 0.9, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(origo_http_request_duration_seconds_bucket{${sel(s, notHealth)}}[5m])))`,
        legend: `p${Math.round(q * 100)}`,
      })),
    });
  }
  if (d.grpcServer) {
    errors.push({
      title: 'gRPC server errors by code',
      unit: 'reqps',
      queries: [
        {
          expr: `sum by (code) (rate(origo_grpc_call_duration_seconds_count{${sel(s, 'side="server", code!="OK"')}}[5m]))`,
          legend: '{{code}}',
        },
      ],
    });
    latency.push({
      title: 'gRPC server latency p99 by method',
      unit: 's',
      queries: [
        {
          expr: `histogram_quantile(0.99, sum by (le, method) (rate(origo_grpc_call_duration_seconds_bucket{${sel(s, 'side="server"')}}[5m])))`,
          legend: '{{method}}',
        },
      ],
    });
  }
  latency.push({
    title: 'gRPC client latency p99 by method',
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(0.99, sum by (le, method) (rate(origo_grpc_call_duration_seconds_bucket{${sel(s, 'side="client"')}}[5m])))`,
        legend: '{{method}}',
      },
    ],
  });
  latency.push({
    title: 'Event-loop delay p99',
    unit: 's',
    queries: [
      { expr: `max by (pod) (origo_nodejs_eventloop_lag_p99_seconds{${sel(s)}})`, legend: '{{pod}}' },
    ],
  });
  const bandwidth: Panel[] = [
    {
      title: 'Pod network',
      unit: 'bps',
      queries: [
        {
          expr: `sum(rate(container_network_transmit_bytes_total{namespace="origo", pod=~"${s}-.*"}[5m])) * 8`,
          legend: 'transmit',
        },
        {
          expr: `sum(rate(container_network_receive_bytes_total{namespace="origo", pod=~"${s}-.*"}[5m])) * 8`,
          legend: 'receive',
        },
      ],
    },
    ...(d.bandwidth ?? []),
  ];
  return [
    { row: 'Errors', panels: errors },
    { row: 'Latency', panels: latency },
    { row: 'Active sessions', panels: d.sessions },
    { row: 'Bandwidth', panels: bandwidth },
    {
      row: 'CPU and memory',
      panels: [
        {
          title: 'CPU',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (pod) (rate(origo_process_cpu_seconds_total{${sel(s)}}[5m]))`,
              legend: '{{pod}}',
            },
          ],
        },
        {
          title: 'Memory',
          unit: 'bytes',
          queries: [
            { expr: `sum by (pod) (origo_process_resident_memory_bytes{${sel(s)}})`, legend: 'RSS {{pod}}' },
            { expr: `sum by (pod) (origo_nodejs_heap_size_used_bytes{${sel(s)}})`, legend: 'heap {{pod}}' },
          ],
        },
      ],
    },
    {
      row: 'Sockets',
      panels: [
        {
          title: 'Open file descriptors',
          unit: 'short',
          queries: [{ expr: `sum by (pod) (origo_process_open_fds{${sel(s)}})`, legend: '{{pod}}' }],
        },
        {
          title: 'Active handles by type',
          unit: 'short',
          queries: [{ expr: `sum by (type) (origo_nodejs_active_handles{${sel(s)}})`, legend: '{{type}}' }],
        },
      ],
    },
  ];
}

const rate = (expr: string) => `sum(rate(${expr}[5m]))`;

export const SERVICES: ServiceDashboard[] = [
  {
    service: 'gateway',
    title: 'Origo / gateway',
    http: true,
    grpcServer: false,
    sessions: [
      {
        title: 'Requests per second by route',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (route) (rate(origo_http_request_duration_seconds_count{${sel('gateway', notHealth)}}[5m]))`,
            legend: '{{route}}',
          },
        ],
      },
    ],
  },
  {
    service: 'auth',
    title: 'Origo / auth',
    http: true,
    grpcServer: false,
    sessions: [
      {
        title: 'Sign-ins by status',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (status) (rate(origo_http_request_duration_seconds_count{${sel('auth', 'route="/api/auth/sign-in"')}}[5m]))`,
            legend: '{{status}}',
          },
        ],
      },
      {
        title: 'Failed credential checks',
        unit: 'reqps',
        queries: [{ expr: 'origo:auth_failures:rate5m', legend: 'failures' }],
      },
    ],
  },
  {
    service: 'control',
    title: 'Origo / control',
    http: true,
    grpcServer: true,
    sessions: [
      {
        title: 'Joins and meeting writes',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (route) (rate(origo_http_request_duration_seconds_count{${sel('control', 'method!="GET", route=~"/api/meetings.*"')}}[5m]))`,
            legend: '{{route}}',
          },
        ],
      },
    ],
  },
  {
    service: 'signaling',
    title: 'Origo / signaling',
    http: false,
    grpcServer: false,
    errors: [
      {
        title: 'Rejected messages by reason',
        unit: 'short',
        queries: [
          {
            expr: `sum by (reason) (rate(origo_signaling_rejected_messages_total{${sel('signaling')}}[5m]))`,
            legend: '{{reason}}',
          },
        ],
      },
      {
        title: 'Abnormal closes by code',
        unit: 'short',
        queries: [
          {
            expr: `sum by (code) (increase(origo_signaling_closed_connections_total{${sel('signaling', 'code!~"1000|1001"')}}[5m]))`,
            legend: '{{code}}',
          },
        ],
      },
    ],
    sessions: [
      {
        title: 'Connections, participants and rooms',
        unit: 'short',
        queries: [
          { expr: `sum(origo_signaling_connections{${sel('signaling')}})`, legend: 'connections' },
          { expr: `sum(origo_signaling_participants{${sel('signaling')}})`, legend: 'participants' },
          { expr: `sum(origo_signaling_rooms{${sel('signaling')}})`, legend: 'rooms' },
        ],
      },
      {
        title: 'Closed connections by code',
        unit: 'short',
        queries: [
          {
            expr: `sum by (code) (increase(origo_signaling_closed_connections_total{${sel('signaling')}}[5m]))`,
            legend: '{{code}}',
          },
        ],
      },
    ],
    bandwidth: [
      {
        title: 'Signaling messages',
        unit: 'short',
        queries: [
          {
            expr: `sum by (direction) (rate(origo_signaling_messages_total{${sel('signaling')}}[5m]))`,
            legend: '{{direction}}',
          },
        ],
      },
    ],
  },
  {
    service: 'sfu',
    title: 'Origo / SFU',
    http: false,
    grpcServer: true,
    sessions: [
      {
        title: 'Rooms, peers, producers, consumers',
        unit: 'short',
        queries: ['routers', 'peers', 'producers', 'consumers'].map((n) => ({
          expr: `sum(origo_sfu_${n}{${sel('sfu')}})`,
          legend: n,
        })),
      },
      {
        title: 'NACKs, retransmissions, keyframe requests',
        unit: 'short',
        queries: [
          { expr: rate(`origo_sfu_nacked_packets_total{${sel('sfu')}}`), legend: 'nacked packets/s' },
          {
            expr: `sum by (result) (rate(origo_sfu_retransmissions_total{${sel('sfu')}}[5m]))`,
            legend: 'retransmit {{result}}',
          },
          {
            expr: `sum by (direction) (rate(origo_sfu_keyframe_requests_total{${sel('sfu')}}[5m]))`,
            legend: 'PLI {{direction}}',
          },
          { expr: rate(`origo_sfu_layer_switches_total{${sel('sfu')}}`), legend: 'layer switches/s' },
          { expr: rate(`origo_sfu_contained_errors_total{${sel('sfu')}}`), legend: 'contained errors/s' },
        ],
      },
    ],
    bandwidth: [
      {
        title: 'Media bitrate',
        unit: 'bps',
        queries: [
          {
            expr: `sum by (direction) (rate(origo_sfu_bytes_total{${sel('sfu')}}[5m])) * 8`,
            legend: '{{direction}}',
          },
          { expr: 'origo:sfu_egress_bits:rate5m', legend: 'cluster egress' },
        ],
      },
      {
        title: 'Packets per second',
        unit: 'pps',
        queries: [
          {
            expr: `sum by (direction) (rate(origo_sfu_packets_total{${sel('sfu')}}[5m]))`,
            legend: '{{direction}}',
          },
        ],
      },
      {
        title: 'Worker event-loop lag',
        unit: 's',
        queries: [
          {
            expr: `max by (pod) (origo_sfu_event_loop_lag_seconds{${sel('sfu', 'quantile="0.99"')}})`,
            legend: 'p99 {{pod}}',
          },
        ],
      },
    ],
  },
  {
    service: 'chat',
    title: 'Origo / chat',
    http: true,
    grpcServer: true,
    sessions: [
      {
        // Clients connect to signaling, not to chat (its sessions are on the signaling dashboard): chat
        // counts what it stores.
        title: 'Messages stored',
        unit: 'short',
        queries: [
          {
            expr: `sum(rate(origo_chat_messages_posted_total{${sel('chat')}}[5m]))`,
            legend: 'messages/s',
          },
        ],
      },
    ],
  },
  {
    service: 'notification',
    title: 'Origo / notification',
    http: true,
    grpcServer: true,
    sessions: [
      {
        title: 'Deliveries by channel and result',
        unit: 'short',
        queries: [
          {
            expr: `sum by (channel, result) (rate(origo_notification_deliveries_total{${sel('notification')}}[5m]))`,
            legend: '{{channel}} {{result}}',
          },
        ],
      },
    ],
  },
  {
    service: 'recording',
    title: 'Origo / recording',
    http: true,
    grpcServer: true,
    sessions: [
      {
        title: 'Recordings in progress',
        unit: 'short',
        queries: [{ expr: `sum(origo_recording_active_sessions{${sel('recording')}})`, legend: 'active' }],
      },
      {
        title: 'Finished recordings by result',
        unit: 'short',
        queries: [
          {
            expr: `sum by (result) (increase(origo_recording_sessions_total{${sel('recording')}}[30m]))`,
            legend: '{{result}}',
          },
        ],
      },
    ],
  },
  {
    service: 'billing',
    title: 'Origo / billing',
    http: true,
    grpcServer: true,
    sessions: [
      {
        title: 'Joins refused for quota',
        unit: 'short',
        queries: [
          { expr: rate(`origo_billing_quota_rejections_total{${sel('billing')}}`), legend: 'rejections/s' },
        ],
      },
    ],
  },
  {
    service: 'turn-probe',
    title: 'Origo / TURN (probe and coturn logs)',
    http: false,
    grpcServer: false,
    sessions: [
      {
        title: 'Probe allocations by result',
        unit: 'short',
        queries: [
          { expr: 'sum by (result) (rate(origo_turn_probe_attempts_total[5m]))', legend: '{{result}}' },
        ],
      },
      {
        title: 'Probe allocation time p90',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.9, sum by (le) (rate(origo_turn_probe_duration_seconds_bucket[5m])))',
            legend: 'p90',
          },
        ],
      },
    ],
  },
];

/** The Grafana JSON model (schemaVersion 39) of one dashboard. */
export function dashboardJson(d: ServiceDashboard): Record<string, unknown> {
  const panels: Array<Record<string, unknown>> = [];
  let y = 0;
  let id = 1;
  for (const { row, panels: rowPanels } of commonPanels(d)) {
    if (rowPanels.length === 0) continue;
    panels.push({
      type: 'row',
      title: row,
      id: id++,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    });
    y += 1;
    const width = Math.max(6, Math.floor(24 / rowPanels.length));
    rowPanels.forEach((p, i) => {
      panels.push({
        type: 'timeseries',
        title: p.title,
        id: id++,
        datasource: { type: 'prometheus', uid: '${datasource}' },
        gridPos: { x: (i * width) % 24, y: y + Math.floor((i * width) / 24) * 8, w: width, h: 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.queries.map((q, n) => ({
          refId: String.fromCharCode(65 + n),
          expr: q.expr,
          legendFormat: q.legend,
        })),
      });
    });
    y += 8 * Math.ceil((rowPanels.length * width) / 24);
  }
  const container = d.service === 'turn-probe' ? 'coturn|turn-probe' : d.service;
  panels.push({
    type: 'row',
    title: 'Logs',
    id: id++,
    collapsed: false,
    gridPos: { x: 0, y, w: 24, h: 1 },
    panels: [],
  });
  panels.push({
    type: 'logs',
    title: 'Logs (JSON; trace_id links to the trace)',
    id: id++,
    datasource: { type: 'loki', uid: 'loki' },
    gridPos: { x: 0, y: y + 1, w: 24, h: 10 },
    options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending' },
    targets: [
      { refId: 'A', expr: `{namespace="origo", container=~"${container}"} | json | level=~"$level"` },
    ],
  });
  return {
    uid: `origo-${d.service}`,
    title: d.title,
    tags: ['origo'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'pod',
          type: 'query',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          query: `label_values(origo_process_start_time_seconds{service="${d.service}"}, pod)`,
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
        },
        {
          name: 'level',
          type: 'custom',
          query: 'error,warn,info,debug',
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels,
  };
}
