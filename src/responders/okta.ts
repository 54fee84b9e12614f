// Okta: the Management API with an API token (`Authorization: SSWS <token>`).
import type { IdpRef } from '../contracts/idp.js';
import type { ResponseAction } from '../contracts/records.js';
import { classifyAnswer, idpFetch, required, seg, wrongProvider } from './http.js';
import type { ActOutcome, Responder } from './responder.js';

export interface OktaResponderConfig {
  orgUrl: string;
  apiToken: string;
}

/**
 * session_revoked: DELETE /api/v1/sessions/{sessionId}; all_sessions_revoked: DELETE
 * /api/v1/users/{id}/sessions?oauthTokens=true (its OAuth and OIDC tokens too); credential_removed:
 * DELETE /api/v1/users/{id}/factors/{factorId}.
 */
export function createOktaResponder(config: OktaResponderConfig): Responder {
  const api = (path: string) =>
    idpFetch(`${config.orgUrl}/api/v1${path}`, {
      method: 'DELETE',
      headers: { authorization: `SSWS ${config.apiToken}`, accept: 'application/json' },
    });
  return {
    async act(action: ResponseAction, target: IdpRef): Promise<ActOutcome> {
      if (target.provider !== 'okta') throw wrongProvider(target.provider);
      const user = seg(target.user_id);
      switch (action) {
        case 'session_revoked':
          return classifyAnswer(
            await api(`/sessions/${seg(required(target.session_id, 'session_id'))}`),
            'Okta session revoke',
          );
        case 'all_sessions_revoked':
          return classifyAnswer(await api(`/users/${user}/sessions?oauthTokens=true`), 'Okta user sessions');
        case 'credential_removed':
          return classifyAnswer(
            await api(`/users/${user}/factors/${seg(required(target.credential_id, 'credential_id'))}`),
            'Okta factor removal',
          );
      }
    },
  };
}
