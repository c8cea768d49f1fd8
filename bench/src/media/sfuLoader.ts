// Loads the SFU media core for the child process. The bench depends on it by package name
// (`@origo/sfu`). While that package does not yet export its media core from its entry point, the
// loader falls back to the workspace's media sources found through node_modules/@origo/sfu, so the
// bench works today and switches by itself once the export exists. Only the small surface below is
// used, typed structurally so the bench does not compile against the SFU's internals.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchEmitter {
  // The SFU's emitters are typed per event; the bench only relays them.
  on(event: string, listener: (...args: never[]) => void): unknown;
}

export interface BenchProducer {
  readonly id: string;
  readonly peerId: string;
  readonly kind: string;
}

export interface BenchPeer extends BenchEmitter {
  readonly participantId: string;
  handlePublisherOffer(sdp: string, meta?: readonly { mid: string; source?: string }[]): Promise<string>;
  handleSubscriberAnswer(sdp: string): Promise<void>;
  addIceCandidate(target: 'publisher' | 'subscriber', candidate: unknown): Promise<void>;
  subscribe(producerId: string): unknown;
  close(reason?: string): void;
}

export interface BenchRouter extends BenchEmitter {
  readonly stats: { collect(): object };
  createPeer(participantId: string): BenchPeer;
  listProducers(): BenchProducer[];
  close(): void;
}

export interface RouterCtor {
  new (opts?: Record<string, unknown>): BenchRouter;
}

export interface LoadedSfu {
  Router: RouterCtor;
  /** Where the media core came from, for the report. */
  source: string;
}

function findWorkspaceMedia(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const link = join(dir, 'node_modules', '@origo', 'sfu');
    if (existsSync(link)) {
      const media = join(realpathSync(link), 'src', 'media', 'index.ts');
      return existsSync(media) ? media : null;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

export async function loadSfu(): Promise<LoadedSfu> {
  try {
    const mod = (await import('@origo/sfu' as string)) as { Router?: RouterCtor };
    if (typeof mod.Router === 'function') return { Router: mod.Router, source: '@origo/sfu' };
  } catch {
    // Entry point missing or without the media core yet: fall through to the sources.
  }
  const media = findWorkspaceMedia();
  if (!media) throw new Error('cannot find the SFU media core (@origo/sfu)');
  const mod = (await import(pathToFileURL(media).href)) as { Router?: RouterCtor };
  if (typeof mod.Router !== 'function') throw new Error(`${media} exports no Router`);
  return { Router: mod.Router, source: '@origo/sfu src/media (workspace sources)' };
}
