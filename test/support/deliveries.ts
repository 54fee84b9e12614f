import type { EmailDelivery, PushDelivery, SmsDelivery } from '../../src/channels/channel.js';
import type { PushSubscription } from '../../src/contracts/account-security.js';

let n = 0;
const next = () => {
  n += 1;
  return n;
};

/** An email delivery with non-ASCII content, as the renderer would produce it. */
export function emailDelivery(over: Partial<EmailDelivery> = {}): EmailDelivery {
  const i = next();
  return {
    channel: 'email',
    alertId: `al_${i}:new_login/x`,
    accountId: `acct-${i}`,
    kind: 'new_login',
    severity: 'warning',
    idempotencyKey: `al_${i}|email|someone@example.com`,
    to: 'someone@example.com',
    subject: 'Nova sessão em São Paulo — foi você? ✓',
    text: 'Olá! Detectámos um início de sessão no Chrome em São Paulo, BR.',
    html: '<p>Olá! Detectámos um início de sessão no <b>Chrome</b> em São Paulo, BR.</p>',
    ...over,
  };
}

/** An SMS delivery. */
export function smsDelivery(over: Partial<SmsDelivery> = {}): SmsDelivery {
  const i = next();
  return {
    channel: 'sms',
    alertId: `al_${i}`,
    accountId: `acct-${i}`,
    kind: 'new_login',
    severity: 'warning',
    idempotencyKey: `al_${i}|sms|+15558675310`,
    to: '+15558675310',
    body: 'New sign-in to your account from Chrome on macOS in London, GB. Not you? https://x.test/r/abc',
    ...over,
  };
}

/** A push delivery to `subscription`. */
export function pushDelivery(subscription: PushSubscription, over: Partial<PushDelivery> = {}): PushDelivery {
  const i = next();
  const alertId = `al_${i}`;
  return {
    channel: 'push',
    alertId,
    accountId: `acct-${i}`,
    kind: 'new_login',
    severity: 'warning',
    idempotencyKey: `${alertId}|push|${subscription.endpoint}`,
    subscription,
    payload: {
      title: 'New sign-in',
      body: 'Chrome on macOS, London, GB',
      url: 'https://alerts.test/r/abc',
      kind: 'new_login',
      severity: 'warning',
      alert_id: alertId,
    },
    ttlS: 3600,
    urgency: 'normal',
    topic: `acct-${i}-login`,
    ...over,
  };
}

/** A delivery of a few kilobytes whose key depends only on (prefix, i): any process re-sending it sends the same. */
export function largeEmail(prefix: string, i: number): EmailDelivery {
  const id = `${prefix}-${i}`;
  return emailDelivery({
    alertId: id,
    idempotencyKey: `${id}|email`,
    html: `<p>${id} ${'x'.repeat(5_000)}</p>`,
  });
}
