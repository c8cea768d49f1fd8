// What this participant publishes: microphone, camera (simulcast) and screen share, their track sids once
// the server names them, and the local controls (mute, camera off, device switch, share, host mute).
import { TrackKind, TrackSource, type TrackInfo } from '@origo/proto/signal';
import type { SetStoreFunction } from 'solid-js/store';
import { announcedLayers, cameraEncodings } from './layers.js';
import { getCamera, getMicrophone, getScreen } from './media.js';
import type { PublisherConnection } from './PublisherConnection.js';
import type { RoomState } from './roomState.js';
import type { SignalClient } from './SignalClient.js';

const HOST_MUTED_MIC = 'The host muted your microphone.';
const HOST_STOPPED_CAMERA = 'The host turned off your camera.';
const MIC_ENDED =
  'Your microphone stopped: the browser took back its permission, or the microphone was unplugged or taken by another app. Choose Unmute to try again.';
const CAMERA_ENDED =
  'Your camera stopped: the browser took back its permission, or the camera was unplugged or taken by another app. Choose Start video to try again.';

interface Publication {
  source: TrackSource;
  track: MediaStreamTrack | null;
  transceiver: RTCRtpTransceiver;
  /** Server id of the track, once track_published named it. */
  sid: string | null;
}

/**
 * Runs `then` when `track` ends by itself (its permission withdrawn, the device unplugged or taken by
 * another app; our own stop() fires no event) while `inUse` says it is still the one in use.
 */
function whenDeviceEnds(track: MediaStreamTrack | null, inUse: () => boolean, then: () => void): void {
  track?.addEventListener(
    'ended',
    () => {
      if (inUse()) then();
    },
    { once: true },
  );
}

export class LocalMedia {
  private readonly publications = new Map<TrackSource, Publication>();
  private cameraTrack: MediaStreamTrack | null = null;
  private microphoneTrack: MediaStreamTrack | null = null;

  constructor(
    private readonly signal: SignalClient,
    private readonly publisher: () => PublisherConnection | null,
    private readonly state: RoomState,
    private readonly setState: SetStoreFunction<RoomState>,
    camera: MediaStreamTrack | null,
    microphone: MediaStreamTrack | null,
  ) {
    this.camera = camera;
    this.microphone = microphone;
  }

  get camera(): MediaStreamTrack | null {
    return this.cameraTrack;
  }

  /** The camera in use; one that ends by itself turns the camera off, as Stop video does, with a notice. */
  set camera(track: MediaStreamTrack | null) {
    this.cameraTrack = track;
    whenDeviceEnds(
      track,
      () => this.cameraTrack === track,
      () => {
        this.setState('notice', CAMERA_ENDED);
        this.setCameraOff(true).catch((e: unknown) =>
          console.error('turning the ended camera off failed', e),
        );
      },
    );
  }

  get microphone(): MediaStreamTrack | null {
    return this.microphoneTrack;
  }

  /** The microphone in use; one that ends by itself mutes, with a notice; Unmute then opens one again. */
  set microphone(track: MediaStreamTrack | null) {
    this.microphoneTrack = track;
    whenDeviceEnds(
      track,
      () => this.microphoneTrack === track,
      () => {
        this.setMicMuted(true);
        this.setState('notice', MIC_ENDED);
      },
    );
  }

  get count(): number {
    return this.publications.size;
  }

  /** A fresh session: the tracks are published again on the new connection. */
  forget(): void {
    this.publications.clear();
  }

  /** Announces a track (add_track) and adds it to the publisher connection; negotiate() sends it. */
  async publish(source: TrackSource, track: MediaStreamTrack): Promise<void> {
    const pub = this.publisher();
    if (pub === null) return;
    const video = track.kind === 'video';
    const { width = 0, height = 0 } = track.getSettings();
    const simulcast = source === TrackSource.TRACK_SOURCE_CAMERA;
    const transceiver = pub.addTransceiver(track, {
      direction: 'sendonly',
      streams: [new MediaStream([track])],
      ...(simulcast ? { sendEncodings: cameraEncodings() } : {}),
    });
    this.publications.set(source, { source, track, transceiver, sid: null });
    await this.signal.request(
      {
        $case: 'addTrack',
        value: {
          cid: track.id,
          kind: video ? TrackKind.TRACK_KIND_VIDEO : TrackKind.TRACK_KIND_AUDIO,
          source,
          width,
          height,
          layers: simulcast ? announcedLayers(width, height) : [],
          muted: !track.enabled,
        },
      },
      10_000,
    );
  }

  /** Publishes what was given at join (and a screen share that survived a rebuild). */
  async publishInitial(): Promise<void> {
    const work: Promise<void>[] = [];
    if (this.microphone) work.push(this.publish(TrackSource.TRACK_SOURCE_MICROPHONE, this.microphone));
    if (this.camera) work.push(this.publish(TrackSource.TRACK_SOURCE_CAMERA, this.camera));
    const screen = this.state.screenStream?.getVideoTracks()[0];
    if (screen !== undefined && screen.readyState === 'live')
      work.push(this.publish(TrackSource.TRACK_SOURCE_SCREEN_SHARE, screen));
    await Promise.all(work);
  }

  /** track_published: the server's sid for one of ours; a mute chosen before it was known goes out now. */
  onTrackPublished(cid: string, info: TrackInfo): void {
    const own = [...this.publications.values()].find((p) => p.track?.id === cid);
    if (own === undefined) return;
    own.sid = info.sid;
    if (
      own.track !== null &&
      info.muted !== !own.track.enabled &&
      own.source === TrackSource.TRACK_SOURCE_MICROPHONE
    )
      this.sendMute(info.sid, !own.track.enabled);
  }

  private sendMute(trackSid: string, muted: boolean): void {
    this.signal.send({ $case: 'muteTrack', value: { trackSid, muted } });
  }

  private async negotiate(): Promise<void> {
    await this.publisher()?.negotiate();
  }

  setMicMuted(muted: boolean): void {
    if (!muted && this.microphone?.readyState === 'ended') {
      // The microphone ended under us: open one again (the default device), then unmute.
      this.switchMicrophone('')
        .then(() => this.setMicMuted(false))
        .catch((e: unknown) => {
          console.error('opening the microphone again failed', e);
          this.setState('notice', MIC_ENDED);
        });
      return;
    }
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    if (this.microphone) this.microphone.enabled = !muted;
    this.setState('micMuted', muted);
    if (!muted) {
      this.clearNotice(HOST_MUTED_MIC);
      this.clearNotice(MIC_ENDED);
    }
    if (pubn?.sid) this.sendMute(pubn.sid, muted);
  }

  async setCameraOff(off: boolean, deviceId: string | null = null): Promise<void> {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    if (off) {
      this.camera?.stop();
      this.camera = null;
      await pubn?.transceiver.sender.replaceTrack(null);
      this.setState({ cameraOff: true, localVideo: null });
      if (pubn?.sid) this.sendMute(pubn.sid, true);
      return;
    }
    const track = await getCamera(deviceId);
    this.camera = track;
    this.setState({ cameraOff: false, localVideo: new MediaStream([track]) });
    this.clearNotice(HOST_STOPPED_CAMERA);
    this.clearNotice(CAMERA_ENDED);
    if (pubn) {
      await pubn.transceiver.sender.replaceTrack(track);
      pubn.track = track;
      if (pubn.sid) this.sendMute(pubn.sid, false);
    } else {
      await this.publish(TrackSource.TRACK_SOURCE_CAMERA, track);
      await this.negotiate();
    }
  }

  /** Device switching during the call: replaceTrack keeps the negotiated sender. */
  async switchCamera(deviceId: string): Promise<void> {
    if (this.state.cameraOff) return this.setCameraOff(false, deviceId);
    const old = this.camera;
    const track = await getCamera(deviceId);
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    await pubn?.transceiver.sender.replaceTrack(track);
    if (pubn) pubn.track = track;
    this.camera = track;
    this.setState('localVideo', new MediaStream([track]));
    old?.stop();
  }

  async switchMicrophone(deviceId: string): Promise<void> {
    const old = this.microphone;
    const track = await getMicrophone(deviceId);
    track.enabled = !this.state.micMuted;
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    this.microphone = track;
    if (pubn) {
      await pubn.transceiver.sender.replaceTrack(track);
      pubn.track = track;
      old?.stop();
    } else {
      await this.publish(TrackSource.TRACK_SOURCE_MICROPHONE, track);
      await this.negotiate();
    }
  }

  async startScreenShare(): Promise<void> {
    if (this.state.sharing) return;
    const track = await getScreen();
    track.addEventListener('ended', () => {
      this.stopScreenShare().catch((e: unknown) => console.error('stopping the screen share failed', e));
    });
    this.setState({ sharing: true, screenStream: new MediaStream([track]) });
    await this.publish(TrackSource.TRACK_SOURCE_SCREEN_SHARE, track);
    await this.negotiate();
  }

  async stopScreenShare(): Promise<void> {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_SCREEN_SHARE);
    this.setState({ sharing: false, screenStream: null });
    if (pubn === undefined) return;
    this.publications.delete(TrackSource.TRACK_SOURCE_SCREEN_SHARE);
    pubn.track?.stop();
    // A stopped transceiver makes its m-line inactive: the SFU closes the producer on the next offer.
    pubn.transceiver.stop();
    await this.negotiate();
  }

  /** A host muted one of our tracks (empty sid: the microphone). */
  async onMutedByHost(trackSid: string): Promise<void> {
    const mic = this.publications.get(TrackSource.TRACK_SOURCE_MICROPHONE);
    const cam = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    if (cam !== undefined && cam.sid === trackSid) {
      this.setState('notice', HOST_STOPPED_CAMERA);
      await this.setCameraOff(true);
      return;
    }
    if (mic !== undefined || trackSid === '') {
      if (this.microphone) this.microphone.enabled = false;
      this.setState({ micMuted: true, notice: HOST_MUTED_MIC });
    }
  }

  /** Takes down a host's notice once the person undid what it reports (unmuted, camera back on). */
  private clearNotice(text: string): void {
    if (this.state.notice === text) this.setState('notice', null);
  }

  /** Dynacast: pause the camera layers nobody watches (the lowest stays for newcomers). */
  applyDynacast(trackSid: string, qualities: readonly { quality: number; enabled: boolean }[]): void {
    const pubn = this.publications.get(TrackSource.TRACK_SOURCE_CAMERA);
    if (pubn === undefined || pubn.sid !== trackSid) return;
    const sender = pubn.transceiver.sender;
    const params = sender.getParameters();
    if (params.encodings.length === 0) return;
    let changed = false;
    for (const enc of params.encodings) {
      const q = enc.rid === 'q' ? 1 : enc.rid === 'h' ? 2 : 3;
      const active = (qualities.find((x) => x.quality === q)?.enabled ?? false) || enc.rid === 'q';
      if (enc.active !== active) {
        enc.active = active;
        changed = true;
      }
    }
    // A failed setParameters leaves the layers as they were; the next dynacast update tries again.
    if (changed) sender.setParameters(params).catch(() => undefined);
  }

  stopAll(): void {
    this.camera?.stop();
    this.microphone?.stop();
    this.state.screenStream?.getTracks().forEach((t) => t.stop());
  }
}
