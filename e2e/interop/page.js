// Minimal browser side of the interop test: a publisher connection (the page offers) and a subscriber
// connection (the SFU offers), exchanged over the test server's HTTP routes and an event stream.
const peerId = new URL(location.href).searchParams.get('peer') ?? 'anon';
const api = (path) => `/api/${encodeURIComponent(peerId)}/${path}`;
const status = document.getElementById('status');

async function post(path, body) {
  const res = await fetch(api(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const pub = new RTCPeerConnection();
const sub = new RTCPeerConnection();
const pending = { publisher: [], subscriber: [] };
const outgoing = { publisher: [], subscriber: [] };
const ready = { publisher: false, subscriber: false };
const times = { joinClickedAt: 0, firstFrameAt: 0 };

function sendCandidate(target, candidate) {
  const c = candidate ? candidate.toJSON() : null;
  if (!ready[target]) outgoing[target].push(c);
  else void post('candidate', { target, candidate: c });
}
pub.onicecandidate = (e) => sendCandidate('publisher', e.candidate);
sub.onicecandidate = (e) => sendCandidate('subscriber', e.candidate);

function flush(target) {
  ready[target] = true;
  for (const c of outgoing[target].splice(0)) void post('candidate', { target, candidate: c });
}

async function addRemoteCandidate(target, c) {
  const pc = target === 'publisher' ? pub : sub;
  if (!c) return;
  if (pc.remoteDescription) await pc.addIceCandidate(c);
  else pending[target].push(c);
}

async function drain(target) {
  const pc = target === 'publisher' ? pub : sub;
  for (const c of pending[target].splice(0)) await pc.addIceCandidate(c);
}

sub.ontrack = (e) => {
  if (e.track.kind !== 'video') return;
  const v = document.createElement('video');
  v.autoplay = true;
  v.muted = true;
  v.playsInline = true;
  v.width = 640;
  v.height = 360;
  v.srcObject = new MediaStream([e.track]);
  v.requestVideoFrameCallback?.(() => {
    if (times.firstFrameAt === 0) times.firstFrameAt = performance.now();
  });
  document.getElementById('remote').append(v);
};

const events = new EventSource(api('events'));
events.addEventListener('subscriberOffer', async (e) => {
  const { sdp } = JSON.parse(e.data);
  await sub.setRemoteDescription({ type: 'offer', sdp });
  await drain('subscriber');
  const answer = await sub.createAnswer();
  await sub.setLocalDescription(answer);
  await post('answer', { sdp: answer.sdp });
  flush('subscriber');
});
events.addEventListener('candidate', (e) => {
  const { target, candidate } = JSON.parse(e.data);
  void addRemoteCandidate(target, candidate);
});
const opened = new Promise((resolve) => events.addEventListener('open', resolve, { once: true }));

async function publish() {
  times.joinClickedAt = performance.now();
  await opened;
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 1280, height: 720, frameRate: 30 },
    audio: true,
  });
  document.getElementById('local').srcObject = stream;
  const [video] = stream.getVideoTracks();
  const [audio] = stream.getAudioTracks();
  const vt = pub.addTransceiver(video, {
    direction: 'sendonly',
    streams: [stream],
    sendEncodings: [
      { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
    ],
  });
  const at = pub.addTransceiver(audio, { direction: 'sendonly', streams: [stream] });
  const offer = await pub.createOffer();
  await pub.setLocalDescription(offer);
  const { sdp } = await post('offer', {
    sdp: offer.sdp,
    meta: [
      { mid: vt.mid, source: 'camera' },
      { mid: at.mid, source: 'microphone' },
    ],
  });
  await pub.setRemoteDescription({ type: 'answer', sdp });
  await drain('publisher');
  flush('publisher');
  status.textContent = 'publishing';
}

async function subscribe() {
  times.joinClickedAt = performance.now();
  await opened;
  await post('subscribe', {});
  status.textContent = 'subscribed';
}

async function stats() {
  let framesDecoded = 0;
  let framesSent = 0;
  let width = 0;
  const report = await sub.getStats();
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      framesDecoded += s.framesDecoded ?? 0;
      width = Math.max(width, s.frameWidth ?? 0);
    }
  });
  (await pub.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') framesSent += s.framesSent ?? 0;
  });
  return {
    framesDecoded,
    framesSent,
    width,
    pub: pub.connectionState,
    sub: sub.connectionState,
    joinToFirstFrameMs: times.firstFrameAt > 0 ? times.firstFrameAt - times.joinClickedAt : null,
  };
}

function close() {
  events.close();
  pub.close();
  sub.close();
}

window.origoTest = { publish, subscribe, stats, close };
