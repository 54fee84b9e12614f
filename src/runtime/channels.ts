import type { Channel, ChannelName } from '../channels/channel.js';
import { createOutboxChannel } from '../channels/outbox.js';
import { createSesChannel } from '../channels/ses.js';
import { createTwilioChannel } from '../channels/twilio.js';
import { createWebPushChannel } from '../channels/webpush.js';
import type { Config } from '../config/config.js';

/** A provider per channel when configured; otherwise the outbox stands in. */
export function createChannels(config: Config): Record<ChannelName, Channel> {
  return {
    email: config.ses
      ? (createSesChannel({
          region: config.ses.region,
          endpoint: config.ses.endpoint,
          from: config.ses.from,
          configurationSet: config.ses.configurationSet,
        }) as Channel)
      : createOutboxChannel('email', config.outboxDir),
    sms: config.twilio
      ? (createTwilioChannel({
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          from: config.twilio.from,
          messagingServiceSid: config.twilio.messagingServiceSid,
          apiBaseUrl: config.twilio.apiBaseUrl,
        }) as Channel)
      : createOutboxChannel('sms', config.outboxDir),
    push: config.vapid
      ? (createWebPushChannel({ vapid: config.vapid, allowedHosts: config.webPushAllowedHosts }) as Channel)
      : createOutboxChannel('push', config.outboxDir),
  };
}

/** Where each channel goes, for the start-up table. */
export function describeChannels(config: Config): Record<ChannelName, string> {
  return {
    email: config.ses
      ? `SES ${config.ses.endpoint ?? config.ses.region}`
      : `outbox ${config.outboxDir}/email.jsonl`,
    sms: config.twilio ? 'Twilio' : `outbox ${config.outboxDir}/sms.jsonl`,
    push: config.vapid ? 'web push (VAPID)' : `outbox ${config.outboxDir}/push.jsonl`,
  };
}
