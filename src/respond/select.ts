// Select: which containment actions a confirmed report asks for. Pure.
import type { ReportScope } from '../contracts/login-alert.js';
import type { ResponseAction } from '../contracts/records.js';
import type { ReportTarget } from './target.js';

/**
 * new_login: the reported session (when the IdP named it), or every session when the person chose "Sign
 * out everywhere"; account_change with credential_added: the added credential (when named), and every
 * session too when asked. Anything else: nothing to end.
 */
export function selectActions(
  target: ReportTarget | undefined,
  scope: ReportScope | undefined,
): ResponseAction[] {
  if (target === undefined) return [];
  const everywhere = scope === 'everywhere';
  const actions: ResponseAction[] = [];
  if (target.kind === 'new_login') {
    if (everywhere) actions.push('all_sessions_revoked');
    else if (target.idp.session_id !== undefined) actions.push('session_revoked');
  }
  if (target.kind === 'account_change' && target.reasons.includes('credential_added')) {
    if (target.idp.credential_id !== undefined) actions.push('credential_removed');
    if (everywhere) actions.push('all_sessions_revoked');
  }
  return actions;
}
