/**
 * OpenID Shared Signals (SSF 1.0, CAEP 1.0, RISC 1.0, all Final): the event types login-alerts
 * transmits, RFC 9493 subject identifiers, and the stream-management bodies a receiver sends.
 */
import { z } from 'zod';

const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

export const EVENT_TYPES = {
  sessionRevoked: `${CAEP}session-revoked`,
  credentialChange: `${CAEP}credential-change`,
  credentialChangeRequired: `${RISC}account-credential-change-required`,
  verification: `${SSF}verification`,
} as const;

/** What a stream may request; verification is always delivered (SSF 1.0 §8.1.4). */
export const EVENTS_SUPPORTED: readonly string[] = [
  EVENT_TYPES.sessionRevoked,
  EVENT_TYPES.credentialChange,
  EVENT_TYPES.credentialChangeRequired,
];

export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';
export const SPEC_VERSION = '1_0';

const text = (max: number) => z.string().min(1).max(max);

/** RFC 9493 subject identifiers (the formats of §3.2; `aliases` of them). */
const SimpleSubIdSchema = z.discriminatedUnion('format', [
  z.strictObject({ format: z.literal('opaque'), id: text(256) }),
  z.strictObject({ format: z.literal('iss_sub'), iss: text(512), sub: text(256) }),
  z.strictObject({ format: z.literal('email'), email: text(320) }),
  z.strictObject({ format: z.literal('phone_number'), phone_number: text(32) }),
  z.strictObject({ format: z.literal('account'), uri: text(512).startsWith('acct:') }),
  z.strictObject({ format: z.literal('uri'), uri: text(2048) }),
  z.strictObject({ format: z.literal('did'), url: text(2048).startsWith('did:') }),
]);
export const SubIdSchema = z.union([
  SimpleSubIdSchema,
  z.strictObject({ format: z.literal('aliases'), identifiers: z.array(SimpleSubIdSchema).min(1).max(10) }),
]);
export type SubId = z.output<typeof SubIdSchema>;

/** The subject login-alerts names an account by: its account id, opaque to the receiver. */
export const accountSubject = (accountId: string): SubId => ({ format: 'opaque', id: accountId });

/** One text per subject whatever the key order it arrived in, for comparing and keying. */
export function subjectKey(subject: SubId): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => [k, sorted(v)]),
          )
        : value;
  return JSON.stringify(sorted(subject));
}

export const DeliverySchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal(PUSH_METHOD),
    endpoint_url: z.url({ protocol: /^https$/, error: 'must be an https URL' }).max(2048),
    authorization_header: z.string().min(1).max(4096).optional(),
  }),
  // The transmitter supplies the poll endpoint_url; a value sent by the receiver is ignored.
  z.strictObject({ method: z.literal(POLL_METHOD), endpoint_url: z.string().max(2048).optional() }),
]);
export type Delivery = z.output<typeof DeliverySchema>;

/**
 * The receiver-supplied part of a stream (SSF 1.0 §8.1.1). Transmitter-supplied properties
 * (stream_id, iss, aud, events_supported, events_delivered, …) may be echoed back and are ignored.
 */
export const StreamInputSchema = z.looseObject({
  delivery: DeliverySchema,
  events_requested: z.array(z.url().max(512)).max(50).optional(),
  description: z.string().max(500).optional(),
});
export type StreamInput = z.output<typeof StreamInputSchema>;

export const STREAM_STATUSES = ['enabled', 'paused', 'disabled'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

export const StatusInputSchema = z.looseObject({
  stream_id: text(64),
  status: z.enum(STREAM_STATUSES),
  reason: z.string().max(500).optional(),
});

export const SubjectInputSchema = z.looseObject({
  stream_id: text(64),
  subject: SubIdSchema,
  verified: z.boolean().optional(),
});

export const VerifyInputSchema = z.looseObject({
  stream_id: text(64),
  state: z.string().max(256).optional(),
});

/** RFC 8936 §2.4: what a polling receiver sends. */
export const PollInputSchema = z.looseObject({
  ack: z.array(text(128)).max(1000).optional(),
  setErrs: z
    .record(
      text(128),
      z.looseObject({ err: z.string().max(64), description: z.string().max(500).optional() }),
    )
    .optional(),
  maxEvents: z.number().int().min(0).max(1000).optional(),
  returnImmediately: z.boolean().optional(),
});
export type PollInput = z.output<typeof PollInputSchema>;
