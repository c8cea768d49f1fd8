import { Counter, Gauge } from 'prom-client';
import type { ServiceMetrics } from '@origo/kit';

export interface SignalingMetrics {
  connections: Gauge;
  rooms: Gauge;
  participants: Gauge;
  messages: Counter<'direction' | 'type'>;
  rejected: Counter<'reason'>;
  closed: Counter<'code'>;
}

/** Signaling's own series, on the service registry (which also has process and gRPC metrics). */
export function createSignalingMetrics(metrics: ServiceMetrics): SignalingMetrics {
  const registers = [metrics.registry];
  return {
    connections: new Gauge({
      name: 'origo_signaling_connections',
      help: 'Open signaling WebSockets',
      registers,
    }),
    rooms: new Gauge({
      name: 'origo_signaling_rooms',
      help: 'Rooms with at least one participant on this node',
      registers,
    }),
    participants: new Gauge({
      name: 'origo_signaling_participants',
      help: 'Sessions on this node, including those waiting to be resumed',
      registers,
    }),
    messages: new Counter({
      name: 'origo_signaling_messages_total',
      help: 'Signaling messages received (in) and sent (out), by message kind',
      labelNames: ['direction', 'type'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'origo_signaling_rejected_messages_total',
      help: 'Signaling messages answered with an error, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    closed: new Counter({
      name: 'origo_signaling_closed_connections_total',
      help: 'Signaling WebSockets closed, by close code',
      labelNames: ['code'] as const,
      registers,
    }),
  };
}
