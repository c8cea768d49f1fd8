import { A, useSearchParams } from '@solidjs/router';
import { Show, type JSX } from 'solid-js';
import { recordingLinkText } from '../lib/recordingLink.js';
import { useSession } from '../session.js';

/**
 * `/recording-link?problem=...`: where a shared recording link that does not work leads a person (the
 * recording service sends browser tabs here): what happened and what to do next, in the site's shell.
 */
export function RecordingLinkPage(): JSX.Element {
  const [params] = useSearchParams();
  const { me } = useSession();
  const text = () => recordingLinkText(Array.isArray(params.problem) ? params.problem[0] : params.problem);
  return (
    <section class="card narrow center">
      <h1>{text().title}</h1>
      <p>{text().detail}</p>
      <p class="links">
        <Show when={me()} fallback={<A href="/sign-in">Sign in</A>}>
          <A href="/dashboard">Back to meetings</A>
        </Show>
      </p>
    </section>
  );
}
