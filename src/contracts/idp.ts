import { z } from 'zod';

/** The identity providers login-alerts can ask to end a session or remove a credential. */
export const IDP_PROVIDERS = ['keycloak', 'auth0', 'okta'] as const;
export type IdpProvider = (typeof IDP_PROVIDERS)[number];

/**
 * The characters an IdP id may hold: letters, digits and `._~:@|+=/-` cover Keycloak UUIDs and realm
 * names, Auth0 user ids (`auth0|…`, `google-oauth2|…`) and session ids, Okta ids and base64 WebAuthn
 * credential ids. Nothing else (no spaces, quotes, `?`, `#`, `%` or control characters) is accepted, and
 * responders still percent-encode every id they put in a path.
 */
export const IDP_ID_PATTERN = /^[A-Za-z0-9._~:@|+=/-]+$/;
/** A realm or tenant name: the same set without `/`, `|`, `+`, `=` and `@`. */
export const IDP_NAME_PATTERN = /^[A-Za-z0-9._~:-]+$/;

const idpId = (max: number) =>
  z.string().min(1).max(max).regex(IDP_ID_PATTERN, { error: 'must be letters, digits or ._~:@|+=/- only' });
const idpName = z
  .string()
  .min(1)
  .max(100)
  .regex(IDP_NAME_PATTERN, { error: 'must be letters, digits or ._~:- only' });

const common = {
  /** The IdP's own user id (Keycloak user id, Auth0 `user_id`, Okta user id). */
  user_id: idpId(128),
  /** The IdP's session id (Keycloak `sessionId`, Auth0 `sid`, Okta `externalSessionId`). */
  session_id: idpId(128).optional(),
  /** The credential the event is about (a WebAuthn credential id or the IdP's credential/factor id). */
  credential_id: idpId(256).optional(),
};

/**
 * Which identity provider an event came from and its ids, so a report can end that session or remove that
 * credential at the IdP. Optional on every event: without it no IdP is ever called.
 */
export const IdpSchema = z
  .discriminatedUnion('provider', [
    z.strictObject({ provider: z.literal('keycloak'), realm: idpName, ...common }),
    z.strictObject({ provider: z.literal('auth0'), tenant: idpName.optional(), ...common }),
    z.strictObject({ provider: z.literal('okta'), tenant: idpName.optional(), ...common }),
  ])
  .meta({ id: 'IdpRef', title: 'Identity provider reference v1.2' });
export type IdpRef = z.output<typeof IdpSchema>;
