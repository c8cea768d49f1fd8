// Typed builders of the messages the server sends (SignalResponse).
import type { ErrorCode } from '@origo/proto/signal';
import { SignalResponse, type DeepPartial } from '@origo/proto/signal';

type Msg = NonNullable<SignalResponse['message']>;
type Case = Msg['$case'];
type ValueOf<C extends Case> = Extract<Msg, { $case: C }>['value'];

export function response<C extends Case>(
  requestId: string,
  $case: C,
  value: DeepPartial<ValueOf<C>>,
): SignalResponse {
  // fromPartial cannot relate a generic case to its value type; the signature above does.
  return SignalResponse.fromPartial({ requestId, message: { $case, value } } as DeepPartial<SignalResponse>);
}

/** A message pushed by the server, not a reply to a request. */
export function push<C extends Case>($case: C, value: DeepPartial<ValueOf<C>>): SignalResponse {
  return response('', $case, value);
}

export function errorResponse(requestId: string, code: ErrorCode, message: string): SignalResponse {
  return response(requestId, 'error', { code, message, requestId });
}
