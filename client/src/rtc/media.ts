// Local capture: camera, microphone, screen, device lists. Browser only.

export interface DeviceChoice {
  cameraId: string | null;
  microphoneId: string | null;
}

export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

export async function getCamera(deviceId: string | null): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: deviceId ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: deviceId } } : CAMERA_CONSTRAINTS,
  });
  const [track] = stream.getVideoTracks();
  if (track === undefined) throw new DOMException('no camera track', 'NotFoundError');
  track.contentHint = 'motion';
  return track;
}

export async function getMicrophone(deviceId: string | null): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: {
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
    },
  });
  const [track] = stream.getAudioTracks();
  if (track === undefined) throw new DOMException('no microphone track', 'NotFoundError');
  return track;
}

/** Whether this browser can share a screen at all (phone browsers have no getDisplayMedia). */
export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

export async function getScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: { frameRate: { ideal: 15, max: 30 } },
    audio: false,
  });
  const [track] = stream.getVideoTracks();
  if (track === undefined) throw new DOMException('no screen track', 'NotFoundError');
  track.contentHint = 'detail';
  return track;
}

export interface DeviceLists {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

export async function listDevices(): Promise<DeviceLists> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: all.filter((d) => d.kind === 'videoinput'),
    microphones: all.filter((d) => d.kind === 'audioinput'),
    speakers: all.filter((d) => d.kind === 'audiooutput'),
  };
}

/** Human text for a getUserMedia failure. */
export function mediaErrorText(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
      return 'Access was blocked. Allow camera and microphone in the browser settings.';
    case 'NotFoundError':
      return 'No such device was found.';
    case 'NotReadableError':
      return 'The device is in use by another application.';
    case 'OverconstrainedError':
      return 'The device cannot provide the requested format.';
    default:
      return error instanceof Error ? error.message : 'The device could not be opened.';
  }
}
