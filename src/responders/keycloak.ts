// Keycloak: the admin REST API, with a client-credentials token of a confidential client whose service
// account holds realm-management → manage-users in the event's realm.
import { setTimeout as sleep } from 'node:timers/promises';
import type { IdpRef } from '../contracts/idp.js';
import type { ResponseAction } from '../contracts/records.js';
import { AppError } from '../errors.js';
import {
  answerError,
  classifyAnswer,
  type IdpAnswer,
  idpFetch,
  jsonOf,
  required,
  seg,
  wrongProvider,
} from './http.js';
import type { ActOutcome, Responder } from './responder.js';
import { oauthToken, type Token, TokenCache, withToken } from './token-cache.js';

export interface KeycloakResponderConfig {
  url: string;
  clientId: string;
  clientSecret: string;
}

/** How long after ending a session it is deleted again: long enough for the first deletion to have removed its row. */
const REDELETE_AFTER_MS = 1_000;

/**
 * session_revoked: DELETE /admin/realms/{realm}/sessions/{session} (Keycloak also logs the session out of
 * its clients, and its refresh tokens stop working), and once more a second later; all_sessions_revoked: POST
 * /admin/realms/{realm}/users/{id}/logout; credential_removed: the user's credential whose id, or whose
 * WebAuthn credential id, is the one named, DELETE /admin/realms/{realm}/users/{id}/credentials/{id}.
 */
export function createKeycloakResponder(config: KeycloakResponderConfig, now?: () => number): Responder {
  const tokens = new TokenCache(now);
  const fetchToken = async (realm: string): Promise<Token> => {
    const url = `${config.url}/realms/${seg(realm)}/protocol/openid-connect/token`;
    const answer = await idpFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: config.clientId,
        client_secret: config.clientSecret,
      }).toString(),
    });
    if (answer.status !== 200) throw answerError(answer, `Keycloak token (realm ${realm})`);
    const token = oauthToken(jsonOf(answer, 'Keycloak token'));
    if (!token) throw new AppError('PROVIDER_REJECTED', 'Keycloak token: no access_token in the answer');
    return token;
  };
  const admin = (realm: string, method: 'GET' | 'POST' | 'DELETE', path: string): Promise<IdpAnswer> =>
    withToken(
      tokens,
      realm,
      () => fetchToken(realm),
      (token) =>
        idpFetch(`${config.url}/admin/realms/${seg(realm)}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        }),
    );

  return {
    async act(action: ResponseAction, target: IdpRef): Promise<ActOutcome> {
      if (target.provider !== 'keycloak') throw wrongProvider(target.provider);
      const { realm, user_id: user } = target;
      switch (action) {
        case 'session_revoked': {
          const path = `/sessions/${seg(required(target.session_id, 'session_id'))}`;
          const outcome = classifyAnswer(await admin(realm, 'DELETE', path), 'Keycloak session logout');
          // With persistent user sessions (Keycloak 26's default), a request of the session's own
          // browser racing the deletion can miss the cache, read the row not yet deleted and put the
          // session back in the cache, where it keeps answering (keycloak/keycloak#51127). Once the
          // row is gone nothing can bring it back: a second deletion then removes any such copy.
          await sleep(REDELETE_AFTER_MS);
          await admin(realm, 'DELETE', path).catch(() => undefined);
          return outcome;
        }
        case 'all_sessions_revoked':
          return classifyAnswer(
            await admin(realm, 'POST', `/users/${seg(user)}/logout`),
            'Keycloak user logout',
          );
        case 'credential_removed': {
          const wanted = required(target.credential_id, 'credential_id');
          const listed = await admin(realm, 'GET', `/users/${seg(user)}/credentials`);
          if (listed.status === 404) return 'not_found';
          if (listed.status !== 200) throw answerError(listed, 'Keycloak credentials');
          const id = findCredential(jsonOf(listed, 'Keycloak credentials'), wanted);
          if (id === undefined) return 'not_found';
          return classifyAnswer(
            await admin(realm, 'DELETE', `/users/${seg(user)}/credentials/${seg(id)}`),
            'Keycloak credential removal',
          );
        }
      }
    },
  };
}

/**
 * The Keycloak id of the credential named by `wanted`: its own id, or (a WebAuthn credential) the id in
 * its credentialData, compared as unpadded base64url since events and credentialData spell it apart.
 */
export function findCredential(list: unknown, wanted: string): string | undefined {
  if (!Array.isArray(list)) return undefined;
  const want = base64url(wanted);
  for (const c of list) {
    if (typeof c !== 'object' || c === null) continue;
    const { id, credentialData } = c as { id?: unknown; credentialData?: unknown };
    if (typeof id !== 'string') continue;
    if (id === wanted) return id;
    if (typeof credentialData !== 'string') continue;
    try {
      const data = JSON.parse(credentialData) as { credentialId?: unknown };
      if (typeof data.credentialId === 'string' && base64url(data.credentialId) === want) return id;
    } catch {
      // not JSON: not a WebAuthn credential
    }
  }
  return undefined;
}

function base64url(s: string): string {
  return s.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}
