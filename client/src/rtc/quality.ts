// Connection quality from the numbers getStats gives (used until the server reports a quality).
import { ConnectionQuality } from '@origo/proto/signal';

export interface LinkSample {
  /** Packets lost / (received + lost) over the last interval, 0..1. */
  lossRatio: number;
  /** Round-trip time in ms (0 when unknown). */
  rttMs: number;
  /** False when no packet arrived over the interval although media was expected. */
  flowing: boolean;
}

export function qualityFromSample(s: LinkSample): ConnectionQuality {
  if (!s.flowing) return ConnectionQuality.CONNECTION_QUALITY_LOST;
  if (s.lossRatio > 0.1 || s.rttMs > 500) return ConnectionQuality.CONNECTION_QUALITY_POOR;
  if (s.lossRatio > 0.02 || s.rttMs > 250) return ConnectionQuality.CONNECTION_QUALITY_GOOD;
  return ConnectionQuality.CONNECTION_QUALITY_EXCELLENT;
}

export function qualityLabel(q: ConnectionQuality): string {
  switch (q) {
    case ConnectionQuality.CONNECTION_QUALITY_EXCELLENT:
      return 'Excellent';
    case ConnectionQuality.CONNECTION_QUALITY_GOOD:
      return 'Good';
    case ConnectionQuality.CONNECTION_QUALITY_POOR:
      return 'Poor';
    case ConnectionQuality.CONNECTION_QUALITY_LOST:
      return 'Lost';
    default:
      return 'Unknown';
  }
}

/** Loss ratio between two cumulative (received, lost) readings. */
export function lossBetween(
  prev: { received: number; lost: number },
  next: { received: number; lost: number },
): number {
  const received = Math.max(0, next.received - prev.received);
  const lost = Math.max(0, next.lost - prev.lost);
  return received + lost === 0 ? 0 : lost / (received + lost);
}
