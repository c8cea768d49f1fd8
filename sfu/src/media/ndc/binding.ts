// Loads node-datachannel (libdatachannel) on first use, so a worker on werift never touches the
// native binary and a missing or broken binary is one typed error at factory creation, not a crash
// at import time.
import { createRequire } from 'node:module';
import type * as NdcTypes from 'node-datachannel';
import { UnsupportedError } from '../errors.js';

/** The parts of node-datachannel the transport uses (its own typings). */
export type NdcModule = typeof NdcTypes;
export type NdcPeerConnection = NdcTypes.PeerConnection;
export type NdcTrack = NdcTypes.Track;
export type NdcRtcConfig = NdcTypes.RtcConfig;

let loaded: NdcModule | undefined;

export function loadNdc(): NdcModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('node-datachannel') as NdcModule;
  } catch (error) {
    throw new UnsupportedError(
      `node-datachannel (libdatachannel) is not usable on this machine: ${error instanceof Error ? error.message : String(error)}; ` +
        'install it with its platform package or set SFU_TRANSPORT=werift',
    );
  }
  return loaded;
}

/** libdatachannel's version, e.g. "0.24.5", for logs and the bench report. */
export function ndcLibraryVersion(): string {
  return loadNdc().getLibraryVersion();
}
