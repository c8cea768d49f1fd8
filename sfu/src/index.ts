// Public entry of @origo/sfu: the role for the launcher, and what tests and other tiers need to run a
// worker in-process.
export { sfuRole, startSfuRole, workerEntryPath, type WorkerRegistration } from './role.js';
export {
  createSfuWorkerService,
  type SfuWorkerService,
  type SfuWorkerServiceOptions,
} from './worker/service.js';
export { SfuWorker, mediaToAppError, type SfuWorkerOptions, type WorkerTotals } from './worker/SfuWorker.js';
export { sfuConfigSchema, type SfuConfig } from './worker/config.js';
export { parseOfferMedia, type OfferMedia } from './worker/sdpMedia.js';
