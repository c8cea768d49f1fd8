// Test helpers other packages' tests use to put real media into an SFU worker (`@origo/sfu/testing`, source
// only: it needs the @roamhq/wrtc dev dependency and is never built).
export { WrtcClient, type ClientOptions, type ReceivedMedia } from './media/wrtcClient.js';
export { EventFeed, GrpcPeer, grpcRouter } from './worker/grpcPeer.js';
