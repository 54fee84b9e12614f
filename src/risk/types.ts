import type { AuthEvent } from '../contracts/auth-event.js';
import type { Device, Geo, Reason, Severity } from '../contracts/login-alert.js';
import type { CredentialMemory } from './credentials.js';

/** One successful sign-in, reduced to what travel checks need. */
export interface SignInPoint {
  /** Event time, epoch ms. */
  at: number;
  latitude?: number;
  longitude?: number;
  accuracyKm?: number;
  country?: string;
  city?: string;
}

/** What login-alerts remembers about one account (stored as JSON in a key-value store; kept small and bounded). */
export interface AccountHistory {
  /** Device key (see `deviceKey`) -> last seen, epoch ms. */
  devices: Record<string, number>;
  /** ISO country code -> last seen. */
  countries: Record<string, number>;
  /** "CC/region/city" key (see `cityKey`) -> last seen. */
  cities: Record<string, number>;
  /** The previous successful sign-in. */
  last?: SignInPoint;
}

/** Everything a sign-in is judged on. */
export interface SignInContext {
  event: AuthEvent;
  device: Device;
  geo: Geo;
  /** Whether the account is enrolled in advanced security (passkeys and security keys only). */
  enrolled: boolean;
  history: AccountHistory;
  /** The account's remembered WebAuthn credentials; undefined when not read (accounts that are not enrolled). */
  credentials?: CredentialMemory;
  /** Reference time for "within the window", epoch ms; pass the event time for replay-stable results. */
  now: number;
  /** How long a device or place stays "known" (default 90 days). */
  historyWindowMs: number;
}

/** The outcome of risk assessment: a severity and the reasons behind it, in `REASONS` order. */
export interface Assessment {
  severity: Severity;
  reasons: Reason[];
}
