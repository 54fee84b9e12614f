import type { RespondConfig } from '../config/config.js';
import type { IdpProvider } from '../contracts/idp.js';
import { createAuth0Responder } from './auth0.js';
import { createKeycloakResponder } from './keycloak.js';
import { createOktaResponder } from './okta.js';
import type { Responder } from './responder.js';

export type { ActOutcome, Responder } from './responder.js';

/** The configured responders by provider; an unconfigured provider is absent. */
export function createResponders(config: RespondConfig): Partial<Record<IdpProvider, Responder>> {
  const out: Partial<Record<IdpProvider, Responder>> = {};
  if (config.keycloak) out.keycloak = createKeycloakResponder(config.keycloak);
  if (config.auth0) out.auth0 = createAuth0Responder(config.auth0);
  if (config.okta) out.okta = createOktaResponder(config.okta);
  return out;
}
