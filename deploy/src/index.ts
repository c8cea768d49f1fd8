// Public entry of @origo/deploy: the TURN client, credentials and probe, and the coturn runner the
// deploy suite and the browser end-to-end tests share.
export {
  TurnClient,
  TurnError,
  TurnTimeoutError,
  type Allocation,
  type TurnClientOptions,
} from './turn/client.js';
export { restCredentials } from './turn/credentials.js';
export { probeTurn, type ProbeOutcome, type ProbeResult } from './turn/probe.js';
export { startCoturn, type Coturn, type CoturnOptions } from './turn/coturn.js';
