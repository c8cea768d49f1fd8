// Release gate: every overlay renders, and no image is left on the all-zero placeholder digest (the
// release workflow pins the pushed image's digest before this runs). Exit 1 with the images otherwise.
import { fileURLToPath } from 'node:url';
import { OVERLAYS, renderOverlay } from './render.js';
import { unreleasedImages } from './policy.js';

const root = fileURLToPath(new URL('../../k8s/overlays/', import.meta.url));
let failed = false;
for (const overlay of OVERLAYS) {
  const unpinned = unreleasedImages(renderOverlay(`${root}${overlay}`));
  if (unpinned.length > 0) {
    failed = true;
    console.error(`${overlay}: image digest not set by a release: ${unpinned.join(', ')}`);
  } else console.error(`${overlay}: every image pinned`);
}
process.exit(failed ? 1 : 0);
