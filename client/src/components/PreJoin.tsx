import { A } from '@solidjs/router';
import { createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import { getCamera, getMicrophone, listDevices, mediaErrorText, type DeviceLists } from '../rtc/media.js';
import { Field, focusFirstInvalid, FormError } from './Field.js';

export interface PreJoinResult {
  camera: MediaStreamTrack | null;
  microphone: MediaStreamTrack | null;
  name: string;
  passcode: string;
  cameraId: string | null;
  microphoneId: string | null;
}

/** Camera and microphone preview, device choice, name for guests, passcode when needed. */
export function PreJoin(props: {
  title: string;
  askName: boolean;
  defaultName: string;
  askPasscode: boolean;
  error: string | null;
  busy: boolean;
  /** Where a signed-in person goes back to without joining (their meetings); none for a guest. */
  backHref?: string;
  onJoin: (r: PreJoinResult) => void;
}): JSX.Element {
  let video!: HTMLVideoElement;
  const [devices, setDevices] = createSignal<DeviceLists>({ cameras: [], microphones: [], speakers: [] });
  const [cameraId, setCameraId] = createSignal<string | null>(null);
  const [micId, setMicId] = createSignal<string | null>(null);
  const [camOn, setCamOn] = createSignal(true);
  const [micOn, setMicOn] = createSignal(true);
  const [camera, setCamera] = createSignal<MediaStreamTrack | null>(null);
  const [mic, setMic] = createSignal<MediaStreamTrack | null>(null);
  const [mediaError, setMediaError] = createSignal<string | null>(null);
  const [name, setName] = createSignal(props.defaultName);
  const [nameError, setNameError] = createSignal<string | undefined>(undefined);
  const [passcode, setPasscode] = createSignal('');
  const [level, setLevel] = createSignal(0);
  let handedOver = false;
  // Device opens in flight. Join waits for them, or a quick click would join without camera or mic.
  let cameraOpening: Promise<void> = Promise.resolve();
  let micOpening: Promise<void> = Promise.resolve();
  let audioCtx: AudioContext | null = null;
  let raf = 0;

  const openCamera = (id: string | null): Promise<void> => {
    const opening = cameraOpening.then(() => openCameraNow(id));
    cameraOpening = opening;
    return opening;
  };

  const openMic = (id: string | null): Promise<void> => {
    const opening = micOpening.then(() => openMicNow(id));
    micOpening = opening;
    return opening;
  };

  const openCameraNow = async (id: string | null) => {
    camera()?.stop();
    setCamera(null);
    if (!camOn()) return;
    try {
      const t = await getCamera(id);
      setCamera(t);
      video.srcObject = new MediaStream([t]);
      setMediaError(null);
    } catch (e) {
      setMediaError(`Camera: ${mediaErrorText(e)}`);
    }
  };

  const openMicNow = async (id: string | null) => {
    mic()?.stop();
    setMic(null);
    try {
      const t = await getMicrophone(id);
      t.enabled = micOn();
      setMic(t);
      meter(t);
    } catch (e) {
      setMediaError(`Microphone: ${mediaErrorText(e)}`);
    }
  };

  // A simple input level meter, so people can see their microphone works before joining.
  const meter = (t: MediaStreamTrack) => {
    cancelAnimationFrame(raf);
    void audioCtx?.close();
    audioCtx = new AudioContext();
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 256;
    audioCtx.createMediaStreamSource(new MediaStream([t])).connect(analyser);
    const data = new Uint8Array(analyser.frequencyBinCount);
    const tick = () => {
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
      setLevel(Math.min(1, peak / 64));
      raf = requestAnimationFrame(tick);
    };
    tick();
  };

  const openDefaults = async (): Promise<void> => {
    await Promise.all([openCamera(null), openMic(null)]);
    const lists = await listDevices().catch(() => null);
    if (lists) setDevices(lists);
    setCameraId(camera()?.getSettings().deviceId ?? null);
    setMicId(mic()?.getSettings().deviceId ?? null);
  };
  // Opening a device never rejects (its failure becomes the visible error), so nothing waits on this.
  onMount(() => void openDefaults());

  onCleanup(() => {
    cancelAnimationFrame(raf);
    void audioCtx?.close();
    if (!handedOver) {
      camera()?.stop();
      mic()?.stop();
    }
  });

  const join = (e: SubmitEvent) => {
    e.preventDefault();
    if (props.busy) return;
    if (props.askName && name().trim() === '') {
      // Said at the field rather than a Join greyed out for no visible reason.
      const form = e.currentTarget as HTMLFormElement;
      setNameError('Enter your name. The others see it on your tile.');
      queueMicrotask(() => focusFirstInvalid(form));
      return;
    }
    handedOver = true;
    void Promise.all([cameraOpening, micOpening]).then(() => {
      const m = mic();
      if (m) m.enabled = micOn();
      props.onJoin({
        camera: camOn() ? camera() : null,
        microphone: m,
        name: name().trim(),
        passcode: passcode().trim(),
        cameraId: cameraId(),
        microphoneId: micId(),
      });
    });
  };

  return (
    <section class="prejoin">
      <div class="preview">
        <video ref={video} autoplay playsinline muted class="mirror" aria-label="Your camera preview" />
        <Show when={!camOn() || camera() === null}>
          <div class="avatar big" aria-hidden="true">
            {camOn() ? 'Starting camera' : 'Camera is off'}
          </div>
        </Show>
        <div class="preview-controls">
          <button
            type="button"
            aria-pressed={!micOn()}
            onClick={() => {
              setMicOn(!micOn());
              const m = mic();
              if (m) m.enabled = micOn();
            }}
          >
            {micOn() ? 'Mute' : 'Unmute'}
          </button>
          <button
            type="button"
            aria-pressed={!camOn()}
            onClick={() => {
              setCamOn(!camOn());
              void openCamera(cameraId());
            }}
          >
            {camOn() ? 'Stop video' : 'Start video'}
          </button>
        </div>
        <div
          class="meter"
          role="meter"
          aria-label="Microphone level"
          aria-valuemin="0"
          aria-valuemax="100"
          aria-valuenow={Math.round(level() * 100)}
        >
          <div style={{ width: `${Math.round((micOn() ? level() : 0) * 100)}%` }} />
        </div>
      </div>
      <form class="card prejoin-form" noValidate onSubmit={join}>
        <h1>{props.title}</h1>
        <p class="muted">Check your camera and microphone, then join.</p>
        <FormError message={props.error ?? mediaError()} />
        <div class="field">
          <label for="pj-camera">Camera</label>
          <select
            id="pj-camera"
            value={cameraId() ?? ''}
            onChange={(e) => {
              setCameraId(e.currentTarget.value);
              void openCamera(e.currentTarget.value);
            }}
          >
            <For each={devices().cameras}>
              {(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}
            </For>
          </select>
        </div>
        <div class="field">
          <label for="pj-mic">Microphone</label>
          <select
            id="pj-mic"
            value={micId() ?? ''}
            onChange={(e) => {
              setMicId(e.currentTarget.value);
              void openMic(e.currentTarget.value);
            }}
          >
            <For each={devices().microphones}>
              {(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}
            </For>
          </select>
        </div>
        <Show when={props.askName}>
          <Field
            label="Your name"
            name="name"
            autocomplete="name"
            required
            maxLength={100}
            value={name()}
            error={nameError()}
            onInput={(e) => {
              setName(e.currentTarget.value);
              setNameError(undefined);
            }}
          />
        </Show>
        <Show when={props.askPasscode}>
          <Field
            label="Meeting passcode"
            name="passcode"
            autocomplete="off"
            hint="Leave empty if you have an invitation link."
            value={passcode()}
            onInput={(e) => setPasscode(e.currentTarget.value)}
          />
        </Show>
        <button type="submit" class="primary wide" disabled={props.busy}>
          {props.busy ? 'Joining' : 'Join meeting'}
        </button>
        <Show when={props.backHref}>
          {(href) => (
            <p class="center prejoin-back">
              <A href={href()}>Back to meetings</A>
            </p>
          )}
        </Show>
      </form>
    </section>
  );
}
