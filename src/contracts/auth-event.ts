import { z } from 'zod';
import { IdpSchema } from './idp.js';

export const EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'credential.added',
  'credential.removed',
  'recovery.changed',
  'api_key.created',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const AUTH_METHODS = [
  'passkey',
  'security_key',
  'password',
  'password_otp',
  'password_sms',
  'sso',
  'magic_link',
  'recovery_code',
  'device_code',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const FAILURE_REASONS = [
  'bad_password',
  'bad_otp',
  'credential_rejected',
  'locked',
  'rate_limited',
  'other',
] as const;

const id = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1)
    .max(128);
const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp' });

export const ClientSchema = z.looseObject({
  ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
  user_agent: z.string().max(2048).optional(),
  device_id: id('client.device_id').optional(),
});

export const AuthSchema = z.looseObject({
  method: z.enum(AUTH_METHODS),
  credential_id: z.string().min(1).max(256).optional(),
  failure_reason: z.enum(FAILURE_REASONS).optional(),
  /** On credential.added: the new WebAuthn credential's AAGUID (any 8-4-4-4-12 hex: real AAGUIDs need not be RFC 9562 UUIDs). */
  aaguid: z.guid({ error: 'must be a UUID (8-4-4-4-12 hex digits)' }).optional(),
});

const common = {
  event_id: id('event_id'),
  schema_version: z.literal(1),
  occurred_at: timestamp,
  account_id: id('account_id'),
  session_id: id('session_id').optional(),
  product: z.string().min(1).max(64),
  client: ClientSchema,
  auth: AuthSchema,
  source: z.string().min(1).max(64),
  /** v1.2: the identity provider and its ids, for containment; without it no IdP is called. */
  idp: IdpSchema.optional(),
};

/** AuthEvent v1. A discriminated union so `session_id` is required exactly where the contract says. */
export const AuthEventSchema = z
  .discriminatedUnion('type', [
    z.looseObject({ ...common, type: z.literal('login.succeeded'), session_id: id('session_id') }),
    z.looseObject({ ...common, type: z.literal('login.failed') }),
    z.looseObject({ ...common, type: z.literal('credential.added') }),
    z.looseObject({ ...common, type: z.literal('credential.removed') }),
    z.looseObject({ ...common, type: z.literal('recovery.changed') }),
    z.looseObject({ ...common, type: z.literal('api_key.created') }),
  ])
  .meta({
    id: 'AuthEvent',
    title: 'AuthEvent v1',
    description: 'An authentication event published by an auth service.',
  });

export type AuthEvent = z.output<typeof AuthEventSchema>;

/** Largest record we accept on auth.events; the fields' own limits add up to well under this. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** Events stamped further in the future than this are invalid (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
