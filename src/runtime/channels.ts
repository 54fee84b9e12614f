import type { Channel, ChannelName } from '../channels/channel.js';
import { createOutboxChannel } from '../channels/outbox.js';
import { createSesChannel } from '../channels/ses.js';
import { createTwilioChannel } from '../channels/twilio.js';
import { createWebPushChannel } from '../channels/webpush.js';
import type { Config } from '../config/config.js';

/**
 * A provider per channel when configured; otherwise the outbox when there is one (OUTBOX_DIR);
 * otherwise no channel at all: an off channel is planned for nobody (config.channelRoutes).
 */
export function createChannels(config: Config): Partial<Record<ChannelName, Channel>> {
  const channels: Partial<Record<ChannelName, Channel>> = {};
  const outbox = config.outboxDir;
  if (config.ses) {
    channels.email = createSesChannel({
      region: config.ses.region,
      endpoint: config.ses.endpoint,
      from: config.ses.from,
      configurationSet: config.ses.configurationSet,
    }) as Channel;
  } else if (outbox !== undefined) channels.email = createOutboxChannel('email', outbox);
  if (config.twilio) {
    channels.sms = createTwilioChannel({
      accountSid: config.twilio.accountSid,
      authToken: config.twilio.authToken,
      from: config.twilio.from,
      messagingServiceSid: config.twilio.messagingServiceSid,
      apiBaseUrl: config.twilio.apiBaseUrl,
    }) as Channel;
  } else if (outbox !== undefined) channels.sms = createOutboxChannel('sms', outbox);
  if (config.vapid) {
    channels.push = createWebPushChannel({
      vapid: config.vapid,
      allowedHosts: config.webPushAllowedHosts,
      trustExactHosts: config.webPushHostsListed,
    }) as Channel;
  } else if (outbox !== undefined) channels.push = createOutboxChannel('push', outbox);
  return channels;
}

const OFF = 'off (no provider, no OUTBOX_DIR): nobody is notified on it';

/** Where each channel goes, for the start-up table and log. */
export function describeChannels(config: Config): Record<ChannelName, string> {
  const outbox = (channel: ChannelName) =>
    config.outboxDir === undefined ? OFF : `outbox ${config.outboxDir}/${channel}.jsonl`;
  return {
    email: config.ses ? `SES ${config.ses.endpoint ?? config.ses.region}` : outbox('email'),
    sms: config.twilio ? 'Twilio' : outbox('sms'),
    push: config.vapid ? `web push (VAPID) to ${config.webPushAllowedHosts.join(', ')}` : outbox('push'),
  };
}
