/**
 * Local HTTP servers that speak the identity providers' documented admin requests and answers, for the
 * responders' wire tests. Shapes from the providers' documentation:
 * - Auth0: POST /oauth/token (client credentials, JSON body with `audience`) →
 *   `{access_token, token_type: "Bearer", expires_in}`; 401 `{error: "access_denied"}` for wrong credentials
 *   (https://auth0.com/docs/api/authentication#client-credentials-flow). POST /api/v2/sessions/{id}/revoke →
 *   202 "Session deletion request accepted" (https://auth0.com/docs/api/management/v2/sessions/revoke-session),
 *   DELETE /api/v2/users/{id}/sessions (https://auth0.com/docs/manage-users/sessions/manage-user-sessions-with-auth0-management-api),
 *   429 with `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` (epoch seconds)
 *   (https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy).
 * - Okta: `Authorization: SSWS <token>`; DELETE /api/v1/users/{id}/sessions?oauthTokens=true → 204
 *   (UserSessionsApi.revokeUserSessions, https://developer.okta.com/okta-sdk-java/apidocs/com/okta/sdk/resource/api/UserSessionsApi.html);
 *   404 `{errorCode: "E0000007"}`; 401 `{errorCode: "E0000011", errorSummary: "Invalid token provided"}`;
 *   429 `{errorCode: "E0000047"}` with `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset`
 *   (https://developer.okta.com/docs/reference/rl-best-practices/).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface SeenRequest {
  method: string;
  /** the raw path and query, as sent (ids percent-encoded) */
  url: string;
  authorization?: string;
  body: string;
}

export interface IdpMock {
  url: string;
  seen: SeenRequest[];
  /** Answers the next matching requests with these statuses before the normal answer (e.g. 429, 503). */
  failNext(statuses: number[]): void;
  stop(): Promise<void>;
}

type Handler = (req: SeenRequest, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<IdpMock & { queue: number[] }> {
  const seen: SeenRequest[] = [];
  const queue: number[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    queue,
    failNext: (statuses) => queue.push(...statuses),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** An Auth0 tenant: one client, its issued tokens, the sessions that exist. */
export async function startAuth0Mock(opts: {
  clientId: string;
  clientSecret: string;
  sessions: Set<string>;
  users: Set<string>;
}): Promise<IdpMock & { issued: string[]; revokeTokens(): void }> {
  const issued: string[] = [];
  const valid = new Set<string>();
  let mock: Awaited<ReturnType<typeof serve>>;
  mock = await serve((req, res) => {
    if (req.method === 'POST' && req.url === '/oauth/token') {
      const body = JSON.parse(req.body || '{}') as Record<string, string>;
      if (
        body.grant_type !== 'client_credentials' ||
        body.client_id !== opts.clientId ||
        body.client_secret !== opts.clientSecret ||
        body.audience !== `${mock.url}/api/v2/`
      )
        return json(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
      const token = `tok-${issued.length + 1}`;
      issued.push(token);
      valid.add(token);
      return json(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: 86400,
        scope: 'delete:sessions',
      });
    }
    const token = /^Bearer (.+)$/.exec(req.authorization ?? '')?.[1];
    if (!token || !valid.has(token))
      return json(res, 401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid token' });
    const failure = mock.queue.shift();
    if (failure === 429) {
      const reset = String(Math.floor(Date.now() / 1000) + 1);
      return json(
        res,
        429,
        { statusCode: 429, error: 'Too Many Requests', message: 'Global limit has been reached' },
        {
          'x-ratelimit-limit': '50',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': reset,
        },
      );
    }
    if (failure !== undefined) return json(res, failure, { statusCode: failure, error: 'Server Error' });
    const revoke = /^\/api\/v2\/sessions\/([^/]+)\/revoke$/.exec(req.url);
    if (req.method === 'POST' && revoke) {
      const id = decodeURIComponent(revoke[1] ?? '');
      if (!opts.sessions.delete(id))
        return json(res, 404, { statusCode: 404, error: 'Not Found', message: 'Session not found' });
      res.writeHead(202).end();
      return;
    }
    const userSessions = /^\/api\/v2\/users\/([^/]+)\/sessions$/.exec(req.url);
    if (req.method === 'DELETE' && userSessions) {
      if (!opts.users.has(decodeURIComponent(userSessions[1] ?? '')))
        return json(res, 404, { statusCode: 404, error: 'Not Found', message: 'The user does not exist.' });
      opts.sessions.clear();
      res.writeHead(202).end();
      return;
    }
    json(res, 404, { statusCode: 404, error: 'Not Found' });
  });
  return { ...mock, issued, revokeTokens: () => valid.clear() };
}

export interface OktaMock extends IdpMock {
  /** The users whose sessions were ended, once per call that ended them. */
  acted: string[];
  /**
   * Holds the next request ending `user`'s sessions unanswered for good: `before` it acts (the caller dies
   * with the call in flight, nothing done) or `after` (done, the answer never comes). Resolves once held.
   */
  hold(user: string, when: 'before' | 'after'): Promise<void>;
}

/**
 * An Okta org: one API token, the users with sessions; a 429 asks to wait `rateLimitResetS` (default 1).
 */
export async function startOktaMock(opts: {
  apiToken: string;
  users: Set<string>;
  rateLimitResetS?: number;
}): Promise<OktaMock> {
  let mock: Awaited<ReturnType<typeof serve>>;
  const acted: string[] = [];
  const holds = new Map<string, { when: 'before' | 'after'; held: () => void }>();
  mock = await serve((req, res) => {
    if (req.authorization !== `SSWS ${opts.apiToken}`)
      return json(res, 401, {
        errorCode: 'E0000011',
        errorSummary: 'Invalid token provided',
        errorLink: 'E0000011',
        errorId: 'oae1',
        errorCauses: [],
      });
    const failure = mock.queue.shift();
    if (failure === 429) {
      return json(
        res,
        429,
        { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
        {
          'x-rate-limit-limit': '600',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + (opts.rateLimitResetS ?? 1)),
        },
      );
    }
    if (failure !== undefined)
      return json(res, failure, { errorCode: 'E0000009', errorSummary: 'Internal Server Error' });
    const sessions = /^\/api\/v1\/users\/([^/?]+)\/sessions\?oauthTokens=true$/.exec(req.url);
    if (req.method === 'DELETE' && sessions) {
      const user = decodeURIComponent(sessions[1] ?? '');
      if (!opts.users.has(user))
        return json(res, 404, {
          errorCode: 'E0000007',
          errorSummary: 'Not found: Resource not found: x (User)',
        });
      const hold = holds.get(user);
      holds.delete(user);
      if (hold?.when !== 'before') acted.push(user);
      if (hold) return hold.held();
      res.writeHead(204).end();
      return;
    }
    json(res, 404, { errorCode: 'E0000007', errorSummary: 'Not found' });
  });
  return {
    ...mock,
    acted,
    hold: (user, when) => new Promise<void>((held) => void holds.set(user, { when, held })),
  };
}
