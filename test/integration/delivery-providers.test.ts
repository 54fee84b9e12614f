/** Delivery end to end on the real broker, at the wire: SES (aws-ses-v2-local) and Twilio (Prism). */
import type { NotificationRequest } from '../../src/contracts/notification.js';
import { enrolQuietly, receipt, receiptsOf, until } from '../support/delivery-kit.js';
import { signIn, UA_MAC_CHROME } from '../support/events.js';
import { startTestPipeline, type TestPipeline, type Watch } from '../support/pipeline-harness.js';
import { type SesEmulator, startSesEmulator } from '../support/ses-emulator.js';
import { startTwilioMock, type TwilioMock } from '../support/twilio-mock.js';

const FROM = 'Security <alerts@login-alerts.test>';
const AWS_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const savedAws = AWS_ENV.map((k) => process.env[k]);

let ses: SesEmulator;
let prism: TwilioMock;
let t: TestPipeline;
let receipts: Watch;
let requests: Watch;

beforeAll(async () => {
  // The SES SDK signs with the default credential chain; the emulator accepts any credentials.
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCAL';
  process.env.AWS_SECRET_ACCESS_KEY = 'local-secret';
  [ses, prism] = await Promise.all([startSesEmulator(), startTwilioMock()]);
  t = await startTestPipeline('memory', {
    env: {
      SES_ENDPOINT: ses.url,
      SES_REGION: 'eu-west-1',
      SES_FROM: FROM,
      TWILIO_ACCOUNT_SID: `AC${'0123456789abcdef'.repeat(2)}`,
      TWILIO_AUTH_TOKEN: 'test-auth-token',
      TWILIO_FROM: '+15017122661',
      TWILIO_API_BASE_URL: prism.url,
    },
  });
  receipts = await t.watch('deliveries');
  requests = await t.watch('notifications');
}, 90_000);

afterAll(async () => {
  await t?.stop();
  await Promise.allSettled([ses?.stop(), prism?.stop()]);
  AWS_ENV.forEach((k, i) => {
    if (savedAws[i] === undefined) delete process.env[k];
    else process.env[k] = savedAws[i];
  });
});

describe('email through SES', () => {
  it('sends one Portuguese email per session, in the account’s time zone, with a sent receipt', async () => {
    const email = `pt-${Date.now()}@example.com`;
    const { account } = await enrolQuietly(t, { email }, { locale: 'pt-BR', timezone: 'America/Sao_Paulo' });
    const first = signIn(account);
    await t.publish('authEvents', [{ key: account, value: first }]);

    const sent = await receipt(receipts, account, (r) => r.channel === 'email' && r.status === 'sent');
    const mine = async () => (await ses.readStore()).emails.filter((e) => e.destination.to.includes(email));
    const [stored] = await until('the email at the emulator', async () => {
      const list = await mine();
      return list.length > 0 ? list : undefined;
    });
    expect(sent.provider_message_id).toBe(stored?.messageId);
    expect(sent.attempts).toBe(1);
    expect(stored?.destination.to).toEqual([email]);
    expect(stored?.from).toBe(FROM);
    expect(stored?.subject).toMatch(/[Ll]ogin (incomum )?na sua conta /);
    expect(stored?.body.text).toContain('acabou de entrar na sua conta');
    expect(stored?.body.text).toContain('America/Sao_Paulo');
    // 14:05 in London is 11:05 in São Paulo: the time shown is the account's local time.
    const local = new Intl.DateTimeFormat('pt-BR', {
      hour: 'numeric',
      minute: '2-digit',
      timeZone: 'America/Sao_Paulo',
    }).format(new Date(first.occurred_at));
    expect(stored?.body.text).toContain(local);
    expect(stored?.body.html).not.toContain(UA_MAC_CHROME);
    expect(stored?.body.text).not.toContain(UA_MAC_CHROME);

    // The same session again (a new event id), and the notification request redelivered.
    const again = { ...first, event_id: `${first.event_id}-again` };
    await t.publish('authEvents', [{ key: account, value: again }]);
    const [request] = await requests.waitFor(1, account);
    await t.publish('notifications', [{ key: account, value: request?.value as NotificationRequest }]);
    // A marker session behind both on the same partitions: once its email is out, both were judged.
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    await until('the marker email', async () => ((await mine()).length >= 2 ? true : undefined));
    await receipt(receipts, account, (r) => r.channel === 'email' && r.alert_id !== sent.alert_id);

    expect(await mine()).toHaveLength(2);
    const forFirst = receiptsOf(receipts, account).filter((r) => r.alert_id === sent.alert_id);
    expect(forFirst).toEqual([sent]);
    expect(t.pipeline.services.outcomes.get(again.event_id)?.outcome).toBe('duplicate_session');
  });
});

describe('SMS through Twilio’s OpenAPI contract (Prism)', () => {
  it('sends the SMS and records the SM… sid Twilio returned', async () => {
    const { account } = await enrolQuietly(t, { phone: '+15558675310' });
    await t.publish('authEvents', [{ key: account, value: signIn(account) }]);
    const sent = await receipt(receipts, account, (r) => r.channel === 'sms' && r.status !== 'failed');
    expect(sent).toMatchObject({ status: 'sent', attempts: 1 });
    expect(sent.provider_message_id).toMatch(/^SM[0-9a-fA-F]{32}$/);
    expect(receiptsOf(receipts, account).map((r) => r.status)).toEqual(['sent']);
  });
});
