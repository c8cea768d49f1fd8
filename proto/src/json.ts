// Strict JSON codec for the public signaling protocol.
//
// ts-proto's fromJSON is lenient: it coerces wrong types (`String(5)`), ignores unknown keys (so an
// unknown message kind silently becomes "no message") and takes the first member of a oneof when several
// are set. Browsers are untrusted, so decoding goes through @bufbuild/protobuf's proto3 JSON parser,
// driven by the descriptor set generated from the .proto files (no hand-written checks that could drift),
// and is then handed to ts-proto's binary decoder to get the generated types.
import { createFileRegistry, fromBinary, fromJson, toBinary } from '@bufbuild/protobuf';
import type { DescField, DescMessage, JsonValue } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { descriptorSetBase64 } from './gen/descriptor-set.js';
import { ErrorCode, SignalRequest, SignalResponse } from './gen/origo/signal/v1/signal.js';

/** Default limit of one signaling message, in UTF-8 bytes. SDP of a large publisher stays well below. */
export const MAX_SIGNAL_MESSAGE_BYTES = 64 * 1024;

/** A SignalRequest whose oneof is known to be set. */
export type DecodedSignalRequest = SignalRequest & { message: NonNullable<SignalRequest['message']> };

/** Result of decodeSignalRequest; `code` is the ErrorCode to send back on failure. */
export type DecodeResult =
  { ok: true; value: DecodedSignalRequest } | { ok: false; error: string; code: ErrorCode };

/** Options of decodeSignalRequest. */
export interface DecodeOptions {
  /** Reject messages longer than this many UTF-8 bytes; defaults to MAX_SIGNAL_MESSAGE_BYTES. */
  maxBytes?: number;
}

const SIGNAL_REQUEST_TYPE = 'origo.signal.v1.SignalRequest';

let requestDesc: DescMessage | undefined;

// Built on first use: module import stays cheap for code that only needs the types.
function signalRequestDesc(): DescMessage {
  if (requestDesc === undefined) {
    const bytes = Uint8Array.from(atob(descriptorSetBase64), (c) => c.charCodeAt(0));
    const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
    const desc = registry.getMessage(SIGNAL_REQUEST_TYPE);
    if (desc === undefined) {
      throw new TypeError(`descriptor set lacks ${SIGNAL_REQUEST_TYPE}; run npm run generate`);
    }
    requestDesc = desc;
  }
  return requestDesc;
}

function utf8Length(text: string, limit: number): number {
  // Cheap bounds first: every UTF-16 unit is 1 to 3 UTF-8 bytes.
  if (text.length > limit) return text.length;
  if (text.length * 3 <= limit) return text.length;
  return new TextEncoder().encode(text).length;
}

function fail(error: string, code: ErrorCode = ErrorCode.ERROR_CODE_INVALID_REQUEST): DecodeResult {
  return { ok: false, error, code };
}

/**
 * Parses one WebSocket text frame into a SignalRequest. Rejects invalid JSON, non-objects, unknown keys
 * (including unknown message kinds), wrong field types, out-of-range numbers, unknown enum values, more
 * than one message kind, and no message kind at all. Never throws.
 */
export function decodeSignalRequest(text: string, options: DecodeOptions = {}): DecodeResult {
  const maxBytes = options.maxBytes ?? MAX_SIGNAL_MESSAGE_BYTES;
  if (utf8Length(text, maxBytes) > maxBytes) {
    return fail(`message exceeds ${maxBytes} bytes`, ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail('message must be a JSON object');
  }
  const desc = signalRequestDesc();
  let bytes: Uint8Array;
  try {
    const msg = fromJson(desc, json as JsonValue);
    const enumError = findUnknownEnum(desc, msg as unknown as Record<string, unknown>, '');
    if (enumError !== undefined) return fail(enumError);
    bytes = toBinary(desc, msg);
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  let value: SignalRequest;
  try {
    value = SignalRequest.decode(bytes);
  } catch (err) {
    // ts-proto refuses int64 values beyond Number.MAX_SAFE_INTEGER (forceLong=number).
    return fail(err instanceof Error ? err.message : String(err));
  }
  if (value.message === undefined) {
    return fail('message kind missing: set exactly one of join, publishOffer, trickle, ...');
  }
  return { ok: true, value: { ...value, message: value.message } };
}

/** Serialises a SignalResponse to the proto3 JSON text sent in a WebSocket frame. */
export function encodeSignalResponse(msg: SignalResponse): string {
  return JSON.stringify(SignalResponse.toJSON(msg));
}

// Proto3 enums are open, so the JSON parser accepts any number for an enum field; a client sending a
// number we do not define is a bug on its side, and letting it through would hand the rest of the
// server values outside the generated enum types.
function findUnknownEnum(desc: DescMessage, msg: Record<string, unknown>, path: string): string | undefined {
  for (const member of desc.members) {
    if (member.kind === 'oneof') {
      const oneof = msg[member.localName] as { case?: string; value?: unknown } | undefined;
      const field = member.fields.find((f) => f.localName === oneof?.case);
      if (field !== undefined) {
        const found = checkField(field, oneof?.value, path);
        if (found !== undefined) return found;
      }
      continue;
    }
    const found = checkField(member, msg[member.localName], path);
    if (found !== undefined) return found;
  }
  return undefined;
}

function checkField(field: DescField, value: unknown, path: string): string | undefined {
  const where = path === '' ? field.jsonName : `${path}.${field.jsonName}`;
  switch (field.fieldKind) {
    case 'scalar':
      return undefined;
    case 'enum':
      return checkEnum(field.enum.values, value, where, field.enum.typeName);
    case 'message':
      return value === undefined
        ? undefined
        : findUnknownEnum(field.message, value as Record<string, unknown>, where);
    case 'list': {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const found =
          field.listKind === 'enum'
            ? checkEnum(field.enum.values, item, `${where}[${i}]`, field.enum.typeName)
            : field.listKind === 'message'
              ? findUnknownEnum(field.message, item as Record<string, unknown>, `${where}[${i}]`)
              : undefined;
        if (found !== undefined) return found;
      }
      return undefined;
    }
    case 'map': {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const found =
          field.mapKind === 'enum'
            ? checkEnum(field.enum.values, item, `${where}.${key}`, field.enum.typeName)
            : field.mapKind === 'message'
              ? findUnknownEnum(field.message, item as Record<string, unknown>, `${where}.${key}`)
              : undefined;
        if (found !== undefined) return found;
      }
      return undefined;
    }
  }
}

function checkEnum(
  values: readonly { number: number }[],
  value: unknown,
  where: string,
  typeName: string,
): string | undefined {
  if (typeof value === 'number' && !values.some((v) => v.number === value)) {
    return `${where}: ${value} is not a value of ${typeName}`;
  }
  return undefined;
}
