// The vocabularies whose phrases every catalog must hold (templates/messages/<locale>.json), and the
// keys the code looks up by name; the templates name the rest.
import { AUTH_METHODS } from '../contracts/auth-event.js';

export const CHANGES = [
  'credential.added',
  'credential.removed',
  'recovery.changed',
  'api_key.created',
] as const;
export type Change = (typeof CHANGES)[number];

/** Reasons that have an explanation in plain words; other reasons are not shown to the person. */
export const EXPLAINED_REASONS = [
  'impossible_travel',
  'unknown_credential',
  'method_downgrade',
  'anonymous_network',
  'hosting_network',
  'new_country',
  'new_city',
  'new_device',
  'failure_burst',
] as const;

/** Catalog keys the code composes from a vocabulary (the templates name every other key they use). */
export const CODE_KEYS: readonly string[] = [
  'product.fallback',
  ...AUTH_METHODS.map((m) => `method.${m}`),
  ...EXPLAINED_REASONS.map((r) => `reason.${r}`),
  ...CHANGES.flatMap((c) => [`change.${c}`, `changeShort.${c}`]),
  'authenticator.signedIn',
  'authenticator.added',
  'device.on',
  'device.phone',
  'device.tablet',
  'device.unknown',
  'place.near',
  'place.country',
  'place.unknown',
  'place.private',
  'attempts',
  'separator',
];
