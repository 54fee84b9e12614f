import { createSesChannel } from '../../src/channels/ses.js';
import { failure } from '../support/app-error.js';
import { emailDelivery } from '../support/deliveries.js';
import { type SesEmulator, startSesEmulator } from '../support/ses-emulator.js';
import { type SesTap, startSesTap } from '../support/ses-tap.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
let emulator: SesEmulator;
let tap: SesTap;

beforeAll(async () => {
  emulator = await startSesEmulator();
  tap = await startSesTap(emulator.url);
  console.info(`aws-ses-v2-local answered after ${emulator.startupMs} ms`);
});
afterAll(async () => {
  await tap?.close();
  await emulator?.stop();
});
beforeEach(() => {
  tap.requests.length = 0;
});

const channel = (timeoutMs = 5000) =>
  createSesChannel({
    region: 'eu-west-1',
    endpoint: tap.url,
    from: 'Security <alerts@login-alerts.test>',
    configurationSet: 'login-alerts',
    credentials,
    timeoutMs,
  });

describe('SES channel', () => {
  test('delivers the email to SES with To, UTF-8 subject and both bodies', async () => {
    const ses = channel();
    const d = emailDelivery();
    const result = await ses.send(d);
    await ses.close?.();

    const { emails } = await emulator.readStore();
    const stored = emails.find((e) => e.messageId === result.providerMessageId);
    expect(stored).toBeDefined();
    expect(stored?.destination.to).toEqual([d.to]);
    expect(stored?.from).toBe('Security <alerts@login-alerts.test>');
    expect(stored?.subject).toBe(d.subject);
    expect(stored?.body.text).toBe(d.text);
    expect(stored?.body.html).toBe(d.html);
  });

  // aws-ses-v2-local's store keeps neither tags nor the configuration set: they are checked
  // on the wire, in the AWS Query form the SDK sent (and the emulator accepted).
  test('sends the configuration set, UTF-8 charsets and sanitised alert id and kind tags', async () => {
    const ses = channel();
    await ses.send(emailDelivery({ alertId: 'al_7:new login/é', kind: 'account_change' }));
    await ses.close?.();

    expect(tap.requests).toHaveLength(1);
    const form = tap.requests[0]!.form;
    expect(form).toMatchObject({
      Action: 'SendEmail',
      ConfigurationSetName: 'login-alerts',
      'Message.Subject.Charset': 'UTF-8',
      'Message.Body.Text.Charset': 'UTF-8',
      'Message.Body.Html.Charset': 'UTF-8',
      'Tags.member.1.Name': 'alert_id',
      'Tags.member.1.Value': 'al_7_new_login__',
      'Tags.member.2.Name': 'kind',
      'Tags.member.2.Value': 'account_change',
    });
    expect(tap.requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  test.each([
    {
      wire: 'Throttling',
      status: 400,
      message: 'Maximum sending rate exceeded.',
      code: 'PROVIDER_THROTTLED',
      retryable: true,
    },
    {
      wire: 'MessageRejected',
      status: 400,
      message: 'Email address is not verified.',
      code: 'PROVIDER_REJECTED',
      retryable: false,
    },
    { wire: 'ConfigurationSetDoesNotExist', status: 400, code: 'PROVIDER_REJECTED', retryable: false },
    {
      wire: 'InvalidParameterValue',
      status: 400,
      message: "Missing final '@domain'",
      code: 'RECIPIENT_INVALID',
      retryable: false,
    },
    { wire: 'AccountSendingPausedException', status: 400, code: 'CHANNEL_PAUSED', retryable: true },
    { wire: 'ConfigurationSetSendingPausedException', status: 400, code: 'CHANNEL_PAUSED', retryable: true },
    { wire: 'MailFromDomainNotVerifiedException', status: 400, code: 'CHANNEL_PAUSED', retryable: true },
    { wire: 'SignatureDoesNotMatch', status: 403, code: 'PROVIDER_AUTH', retryable: false },
    { wire: 'InternalFailure', status: 500, code: 'PROVIDER_UNAVAILABLE', retryable: true },
    { wire: 'ServiceUnavailable', status: 503, code: 'PROVIDER_UNAVAILABLE', retryable: true },
  ])('classifies SES $wire (HTTP $status) as $code, retryable: $retryable, in one attempt', async (c) => {
    const ses = channel();
    tap.fail({ status: c.status, code: c.wire, ...(c.message ? { message: c.message } : {}) });
    const err = await failure(ses.send(emailDelivery()));
    await ses.close?.();
    expect(err.code).toBe(c.code);
    expect(err.retryable).toBe(c.retryable);
    // maxAttempts: 1 — the SDK did not retry on its own.
    expect(tap.requests).toHaveLength(1);
  });

  test('waits an hour before retrying when the daily quota is exhausted', async () => {
    const ses = channel();
    tap.fail({ status: 400, code: 'Throttling', message: 'Daily message quota exceeded.' });
    const err = await failure(ses.send(emailDelivery()));
    await ses.close?.();
    expect(err).toMatchObject({ code: 'PROVIDER_THROTTLED', retryable: true, retryAfterS: 3600 });
  });

  test('gives up on a hanging SES within the configured timeout, retryable', async () => {
    const ses = channel(1000);
    tap.fail('hang');
    const started = Date.now();
    const err = await failure(ses.send(emailDelivery()));
    await ses.close?.();
    expect(err).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(tap.requests).toHaveLength(1);
  });

  test('treats a refused connection as a retryable outage', async () => {
    const ses = createSesChannel({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      from: 'a@b.test',
      credentials,
    });
    const err = await failure(ses.send(emailDelivery()));
    await ses.close?.();
    expect(err).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
  });
});
