import { createTwilioChannel } from '../../src/channels/twilio.js';
import { failure } from '../support/app-error.js';
import { smsDelivery } from '../support/deliveries.js';
import { startTwilioFaults, type TwilioFaults } from '../support/twilio-faults.js';
import { startTwilioMock, type TwilioMock } from '../support/twilio-mock.js';

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
const authToken = 'test-auth-token';
const messagingServiceSid = `MG${'fedcba9876543210'.repeat(2)}`;
let prism: TwilioMock;
let faults: TwilioFaults;

beforeAll(async () => {
  [prism, faults] = await Promise.all([startTwilioMock(), startTwilioFaults()]);
  console.info(`prism answered after ${prism.startupMs} ms`);
});
afterAll(async () => {
  await faults?.close();
  await prism?.stop();
});
beforeEach(() => {
  faults.requests.length = 0;
});

describe('Twilio channel against Twilio’s OpenAPI contract (Prism)', () => {
  test('sends from a phone number and gets an SM… sid back', async () => {
    const sms = createTwilioChannel({ accountSid, authToken, from: '+15017122661', apiBaseUrl: prism.url });
    const result = await sms.send(smsDelivery());
    expect(result.providerMessageId).toMatch(/^SM[0-9a-fA-F]{32}$/);
  });

  test('sends through a messaging service and gets an SM… sid back', async () => {
    const sms = createTwilioChannel({ accountSid, authToken, messagingServiceSid, apiBaseUrl: prism.url });
    const result = await sms.send(smsDelivery());
    expect(result.providerMessageId).toMatch(/^SM[0-9a-fA-F]{32}$/);
  });

  test('a request that breaks the contract is rejected, not retried (Prism validates for real)', async () => {
    // MessagingServiceSid must match ^MG[0-9a-fA-F]{32}$ in Twilio's spec.
    const sms = createTwilioChannel({
      accountSid,
      authToken,
      messagingServiceSid: 'MG-nope',
      apiBaseUrl: prism.url,
    });
    const err = await failure(sms.send(smsDelivery()));
    expect(err).toMatchObject({ code: 'PROVIDER_REJECTED', retryable: false });
    expect(err.message).toContain('422');
  });
});

describe('Twilio channel error classification (fault server)', () => {
  const channel = (timeoutMs = 5000) =>
    createTwilioChannel({ accountSid, authToken, from: '+15017122661', apiBaseUrl: faults.url, timeoutMs });

  test('posts To, From and Body with Basic auth to the account’s Messages resource', async () => {
    const d = smsDelivery();
    await channel().send(d);
    expect(faults.requests).toHaveLength(1);
    const req = faults.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${accountSid}/Messages.json`);
    expect(req.form).toEqual({ To: d.to, From: '+15017122661', Body: d.body });
    expect(req.authorization).toBe(`Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`);
  });

  test('posts MessagingServiceSid and no From when sending through a messaging service', async () => {
    const sms = createTwilioChannel({ accountSid, authToken, messagingServiceSid, apiBaseUrl: faults.url });
    const d = smsDelivery();
    await sms.send(d);
    expect(faults.requests[0]?.form).toEqual({
      To: d.to,
      MessagingServiceSid: messagingServiceSid,
      Body: d.body,
    });
  });

  test.each([
    { status: 429, twilio: 20429, code: 'PROVIDER_THROTTLED', retryable: true },
    { status: 503, twilio: 'none (HTML page)', code: 'PROVIDER_UNAVAILABLE', retryable: true },
    { status: 500, twilio: 20500, code: 'PROVIDER_UNAVAILABLE', retryable: true },
    { status: 400, twilio: 21610, code: 'RECIPIENT_UNSUBSCRIBED', retryable: false },
    { status: 400, twilio: 21211, code: 'RECIPIENT_INVALID', retryable: false },
    { status: 400, twilio: 21614, code: 'RECIPIENT_INVALID', retryable: false },
    { status: 400, twilio: 21612, code: 'RECIPIENT_INVALID', retryable: false },
    { status: 400, twilio: 21606, code: 'PROVIDER_REJECTED', retryable: false },
    { status: 400, twilio: 21408, code: 'PROVIDER_REJECTED', retryable: false },
    { status: 401, twilio: 20003, code: 'PROVIDER_AUTH', retryable: false },
  ])('HTTP $status with code $twilio → $code (retryable: $retryable), in one attempt', async (c) => {
    faults.next(
      typeof c.twilio === 'number'
        ? { status: c.status, code: c.twilio }
        : { status: c.status, rawBody: '<html><body>503 Service Unavailable</body></html>' },
    );
    const err = await failure(channel().send(smsDelivery()));
    expect(err.code).toBe(c.code);
    expect(err.retryable).toBe(c.retryable);
    expect(faults.requests).toHaveLength(1); // twilio-node's autoRetry stays off
  });

  test('a hanging API is a retryable PROVIDER_TIMEOUT within the configured timeout', async () => {
    faults.next('hang');
    const started = Date.now();
    const err = await failure(channel(800).send(smsDelivery()));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(2500);
  });

  test('a refused connection is a retryable outage', async () => {
    const sms = createTwilioChannel({
      accountSid,
      authToken,
      from: '+15017122661',
      apiBaseUrl: 'http://127.0.0.1:9',
    });
    const err = await failure(sms.send(smsDelivery()));
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  });

  test('refuses to start without a sender', () => {
    expect(() => createTwilioChannel({ accountSid, authToken })).toThrow(
      expect.objectContaining({ code: 'BAD_CONFIG' }),
    );
  });
});
