// Auth0: the Management API with a client-credentials token (scopes delete:sessions, delete:refresh_tokens,
// delete:authentication_methods … as the actions need).
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

export interface Auth0ResponderConfig {
  baseUrl: string;
  audience: string;
  clientId: string;
  clientSecret: string;
}

/**
 * session_revoked: POST /api/v2/sessions/{id}/revoke (the session and its refresh tokens);
 * all_sessions_revoked: DELETE /api/v2/users/{id}/sessions; credential_removed: DELETE
 * /api/v2/users/{id}/authentication-methods/{method}. The token comes from POST /oauth/token.
 */
export function createAuth0Responder(config: Auth0ResponderConfig, now?: () => number): Responder {
  const tokens = new TokenCache(now);
  const fetchToken = async (): Promise<Token> => {
    const answer = await idpFetch(`${config.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: config.clientId,
        client_secret: config.clientSecret,
        audience: config.audience,
      }),
    });
    if (answer.status !== 200) throw answerError(answer, 'Auth0 token');
    const token = oauthToken(jsonOf(answer, 'Auth0 token'));
    if (!token) throw new AppError('PROVIDER_REJECTED', 'Auth0 token: no access_token in the answer');
    return token;
  };
  const api = (method: 'POST' | 'DELETE', path: string): Promise<IdpAnswer> =>
    withToken(tokens, 'management', fetchToken, (token) =>
      idpFetch(`${config.baseUrl}/api/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      }),
    );

  return {
    async act(action: ResponseAction, target: IdpRef): Promise<ActOutcome> {
      if (target.provider !== 'auth0') throw wrongProvider(target.provider);
      const user = seg(target.user_id);
      switch (action) {
        case 'session_revoked':
          return classifyAnswer(
            await api('POST', `/sessions/${seg(required(target.session_id, 'session_id'))}/revoke`),
            'Auth0 session revoke',
          );
        case 'all_sessions_revoked':
          return classifyAnswer(await api('DELETE', `/users/${user}/sessions`), 'Auth0 user sessions');
        case 'credential_removed':
          return classifyAnswer(
            await api(
              'DELETE',
              `/users/${user}/authentication-methods/${seg(required(target.credential_id, 'credential_id'))}`,
            ),
            'Auth0 authentication method removal',
          );
      }
    },
  };
}
