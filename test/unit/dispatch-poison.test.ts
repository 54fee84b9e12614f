/**
 * Delivery-side poison: a request or retry record that is malformed, or that makes rendering throw, is
 * dead-lettered (never retried) and the records after it are delivered.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Channel, ChannelName, Delivery } from '../../src/channels/channel.js';
import {
  CHANNELS_HEADER,
  type DeliveryJob,
  type NotificationRequest,
  notificationRecord,
} from '../../src/contracts/notification.js';
import type { DlqRecord } from '../../src/contracts/records.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import { createDeadLetters } from '../../src/kafka/dlq.js';
import type { OutRecord, Publisher } from '../../src/kafka/publisher.js';
import { createDispatcher, type Dispatcher } from '../../src/notify/dispatch.js';
import type { Renderer } from '../../src/notify/render.js';
import { createRetryJobHandler, jobDueAt } from '../../src/notify/retry-jobs.js';
import { silentLogger } from '../../src/observe/logger.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { dispatcherConfig, stubRenderer } from '../support/delivery-kit.js';
import { profile } from '../support/events.js';

const at = '2026-01-01T00:00:00Z';
const record = (
  topic: string,
  value: unknown,
  offset: number,
  headers: KafkaMessage['headers'] = {},
): InRecord => ({
  topic,
  partition: 1,
  message: {
    key: Buffer.from('acct-d'),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers,
  } as KafkaMessage,
});
/** A request as the pipeline publishes it: its channels in the header too. */
const published = (value: NotificationRequest, offset: number): InRecord => {
  const r = notificationRecord('n', value);
  return record(r.topic, r.value, offset, { [CHANNELS_HEADER]: Buffer.from(r.headers[CHANNELS_HEADER]!) });
};
const request = (id: string, over: Partial<NotificationRequest> = {}): NotificationRequest => ({
  id,
  account_id: 'acct-d',
  kind: 'enrolled',
  channels: ['email'],
  occurred_at: at,
  requested_at: at,
  ...over,
});

async function setUp(renderer: Renderer = stubRenderer as unknown as Renderer) {
  const store = createMemoryStore();
  await store.write([
    {
      op: 'set',
      key: keys.profile('acct-d'),
      value: JSON.stringify(
        profile('acct-d', { contacts: { email: 'd@example.com', phone: '+15005550006' } }),
      ),
    },
  ]);
  const published: OutRecord[] = [];
  const publisher: Publisher = { publish: async (r) => void published.push(...r), close: async () => {} };
  const sent: Delivery[] = [];
  const make = (channel: ChannelName): Dispatcher => {
    const sender: Channel = {
      name: channel,
      send: async (d) => {
        sent.push(d);
        return { providerMessageId: 'm' };
      },
    };
    return createDispatcher({
      channel,
      sender,
      store,
      publisher,
      renderer,
      config: dispatcherConfig({ maxAttempts: 5, backoffMs: [1_000] }),
      log: silentLogger(),
    });
  };
  const dlqOf = () => published.filter((r) => r.topic === 'q').map((r) => r.value as DlqRecord);
  return { publisher, published, sent, make, dlqOf };
}

describe('notification requests', () => {
  it('dead-letters a malformed request in one channel group only and delivers the next request', async () => {
    const { make, sent, dlqOf } = await setUp();
    const records = [
      record('n', '{"channels": ["sms", "email"], "id": 7', 0), // not JSON: the first group (email) owns it
      record('n', { id: 7, channels: ['sms', 'email'] }, 1), // invalid: the first channel it names (sms) owns it
      record('n', request('al-ok', { channels: ['email', 'sms'] }), 2),
    ];
    for (const channel of ['email', 'sms', 'push'] as const)
      await (await make(channel).requests(records))?.finish();
    expect(dlqOf().map((d) => [d.source.offset, d.error.code])).toEqual([
      ['0', 'INVALID_JSON'],
      ['1', 'INVALID_EVENT'],
    ]);
    expect(sent.map((d) => [d.channel, d.alertId])).toEqual([
      ['email', 'al-ok'],
      ['sms', 'al-ok'],
    ]);
  });

  it('skips unparsed a record whose channels header does not name the group, and dead-letters a header that disagrees with its request once', async () => {
    const { make, sent, dlqOf } = await setUp();
    const header = (channels: string) => ({ [CHANNELS_HEADER]: Buffer.from(channels) });
    const records = [
      published(request('al-both', { channels: ['email', 'sms'] }), 0),
      // a body no group could parse, under a header naming sms only: sms owns it, email never reads it
      record('n', '{"channels": ["email"]', 1, header('sms')),
      // the header hides email from the email group: the header's first channel (sms) dead-letters it
      record('n', request('al-lies', { channels: ['email', 'sms'] }), 2, header('sms')),
      // a header naming no known channel, or repeated, is no header: the request decides
      record('n', request('al-odd', { channels: ['email'] }), 3, header('pigeon,carrier')),
      record('n', request('al-twice', { channels: ['email'] }), 4, { [CHANNELS_HEADER]: ['sms', 'push'] }),
      published(request('al-sms', { channels: ['sms'] }), 5),
    ];
    for (const channel of ['email', 'sms', 'push'] as const)
      await (await make(channel).requests(records))?.finish();
    expect(dlqOf().map((d) => [d.source.offset, d.error.code, d.error.message])).toEqual([
      ['1', 'INVALID_JSON', expect.any(String)],
      ['2', 'INVALID_EVENT', `the ${CHANNELS_HEADER} header names sms but the request email,sms`],
    ]);
    expect(sent.map((d) => [d.channel, d.alertId])).toEqual([
      ['email', 'al-both'],
      ['email', 'al-odd'],
      ['email', 'al-twice'],
      ['sms', 'al-both'],
      ['sms', 'al-sms'],
    ]);
  });

  it('dead-letters a request whose rendering throws (PROCESSING_FAILED), without a retry', async () => {
    const renderer = {
      render: (input: { kind: string }) => {
        if (input.kind === 'new_login') throw new Error('template blew up');
        return stubRenderer.render();
      },
    } as unknown as Renderer;
    const { make, sent, dlqOf, published } = await setUp(renderer);
    const records = [
      record('n', request('al-bad', { kind: 'new_login' }), 0),
      record('n', request('al-ok'), 1),
    ];
    await (await make('email').requests(records))?.finish();
    expect(dlqOf().map((d) => d.error.code)).toEqual(['PROCESSING_FAILED']);
    expect(dlqOf()[0]!.error.message).toMatch(/template blew up/);
    expect(published.filter((r) => r.topic === 'r')).toEqual([]);
    expect(sent.map((d) => d.alertId)).toEqual(['al-ok']);
  });
});

describe('retry records', () => {
  it('dead-letters records that are not delivery jobs and runs the next job', async () => {
    const { make, publisher, sent, dlqOf } = await setUp();
    const dispatchers = { email: make('email') };
    const dead = createDeadLetters({ publisher, topic: 'q', log: silentLogger() });
    const handle = createRetryJobHandler(dispatchers, dead);
    const job: DeliveryJob = {
      request: request('al-retry'),
      channel: 'email',
      recipient: 'd@example.com',
      attempt: 2,
      due_at: at,
    };
    const bad = [
      '{"due_at": "2020-01-01T00:00:00Z", "channel": "email"',
      JSON.stringify({ due_at: '2020-01-01T00:00:00Z', channel: 'email' }),
      JSON.stringify({ ...job, channel: 'pigeon' }),
      JSON.stringify({ ...job, channel: 'sms' }), // valid, but no sms dispatcher here
    ];
    for (const [i, v] of bad.entries()) await handle(record('r', v, i));
    await handle(record('r', job, bad.length));
    expect(dlqOf().map((d) => [d.source.offset, d.error.code])).toEqual([
      ['0', 'INVALID_JSON'],
      ['1', 'INVALID_EVENT'],
      ['2', 'INVALID_EVENT'],
      ['3', 'INVALID_EVENT'],
    ]);
    expect(sent.map((d) => d.alertId)).toEqual(['al-retry']);
    expect(jobDueAt(Buffer.from(JSON.stringify(job)))).toBe(Date.parse(at));
    expect(jobDueAt(Buffer.from('nonsense'))).toBeUndefined();
  });
});
