import { For, Show, type JSX } from 'solid-js';
import type { DeviceLists } from '../rtc/media.js';

export interface DevicesPanelProps {
  devices: DeviceLists;
  speakerId: string;
  rttMs: number;
  onClose: () => void;
  onCamera: (deviceId: string) => void;
  onMicrophone: (deviceId: string) => void;
  onSpeaker: (deviceId: string) => void;
}

export function DevicesPanel(props: DevicesPanelProps): JSX.Element {
  return (
    <aside tabindex="-1" class="side" aria-label="Devices">
      <div class="row between">
        <h2>Devices</h2>
        <button type="button" class="small" onClick={() => props.onClose()}>
          Close
        </button>
      </div>
      <div class="field">
        <label for="m-camera">Camera</label>
        <select id="m-camera" onChange={(e) => props.onCamera(e.currentTarget.value)}>
          <For each={props.devices.cameras}>
            {(d, i) => <option value={d.deviceId}>{d.label || `Camera ${i() + 1}`}</option>}
          </For>
        </select>
      </div>
      <div class="field">
        <label for="m-mic">Microphone</label>
        <select id="m-mic" onChange={(e) => props.onMicrophone(e.currentTarget.value)}>
          <For each={props.devices.microphones}>
            {(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}
          </For>
        </select>
      </div>
      <Show when={props.devices.speakers.length > 0}>
        <div class="field">
          <label for="m-speaker">Speaker</label>
          <select
            id="m-speaker"
            value={props.speakerId}
            onChange={(e) => props.onSpeaker(e.currentTarget.value)}
          >
            <For each={props.devices.speakers}>
              {(d, i) => <option value={d.deviceId}>{d.label || `Speaker ${i() + 1}`}</option>}
            </For>
          </select>
        </div>
      </Show>
      <p class="muted small">Round trip to the server: {props.rttMs} ms</p>
    </aside>
  );
}
