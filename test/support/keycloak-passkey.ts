/**
 * Passkeys on a real Keycloak, through its own pages in Chromium: a browser flow that signs in with a passkey
 * alone (a discoverable credential names the user), set up through the admin REST API, and the page steps of
 * registering one (the `webauthn-register-passwordless` required action) and signing in with it.
 *
 * WebAuthn refuses an IP address as relying party id, so the browser must reach Keycloak as `localhost`.
 */
import type { Page } from 'playwright-core';

type Admin = (path: string, init?: { method?: string; body?: unknown }) => Promise<Response>;

/** Keycloak's URL as the browser must use it: `localhost`, never 127.0.0.1 (see above). */
export const browserUrl = (keycloakUrl: string) => keycloakUrl.replace('//127.0.0.1:', '//localhost:');

/**
 * A top-level flow "cookie, else a passkey" (both ALTERNATIVE) made in the realm; returns its id, for a
 * client's `authenticationFlowBindingOverrides.browser`.
 */
export async function createPasskeyFlow(admin: Admin, realm: string, alias: string): Promise<string> {
  const flows = `/${realm}/authentication/flows`;
  await admin(flows, { body: { alias, providerId: 'basic-flow', topLevel: true, builtIn: false } });
  for (const provider of ['auth-cookie', 'webauthn-authenticator-passwordless'])
    await admin(`${flows}/${alias}/executions/execution`, { body: { provider } });
  const executions = (await (await admin(`${flows}/${alias}/executions`)).json()) as object[];
  for (const execution of executions)
    await admin(`${flows}/${alias}/executions`, {
      method: 'PUT',
      body: { ...execution, requirement: 'ALTERNATIVE' },
    });
  const all = (await (await admin(flows)).json()) as { id: string; alias: string }[];
  const id = all.find((f) => f.alias === alias)?.id;
  if (!id) throw new Error(`flow ${alias} was not created`);
  return id;
}

/**
 * Signs in to the account console with a password and answers the passkey registration Keycloak asks for
 * (the user has the required action): the virtual authenticator makes the credential, the label prompt is
 * answered with `label`. Resolves once the account console is reached.
 */
export async function registerPasskey(
  page: Page,
  keycloakUrl: string,
  realm: string,
  user: { username: string; password: string },
  label: string,
): Promise<void> {
  const answer = (dialog: import('playwright-core').Dialog) => void dialog.accept(label);
  page.on('dialog', answer);
  try {
    await page.goto(`${browserUrl(keycloakUrl)}/realms/${realm}/account`);
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('#kc-login');
    await page.waitForURL(/required-action\?execution=webauthn-register-passwordless/);
    await page.click('#registerWebAuthn');
    await page.waitForURL(new RegExp(`/realms/${realm}/account\\?`), { timeout: 30_000 });
  } finally {
    page.off('dialog', answer);
  }
}

/** Follows an authorization request to the passkey page and presses "Sign in with Passkey". */
export async function signInWithPasskey(page: Page, authUrl: string, redirectUri: string): Promise<string> {
  await page.goto(authUrl);
  await page.click('#authenticateWebAuthnButton');
  await page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 30_000 });
  return page.url();
}
