/** account.security records that cannot be processed are dead-lettered; the profiles behind them are applied. */
import type { KafkaMessage } from 'kafkajs';
import { loadConfig } from '../../src/config/config.js';
import type { DlqRecord } from '../../src/contracts/records.js';
import type { InRecord } from '../../src/kafka/consumer-loop.js';
import type { OutRecord } from '../../src/kafka/publisher.js';
import { silentLogger } from '../../src/observe/logger.js';
import { createAccountProfilesHandler } from '../../src/pipeline/account-profiles.js';
import { keys } from '../../src/state/keys.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { profile } from '../support/events.js';

const config = loadConfig({});
const record = (key: string, value: string, offset: number): InRecord => ({
  topic: config.topics.accountSecurity,
  partition: 0,
  message: {
    key: Buffer.from(key),
    value: Buffer.from(value),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  } as KafkaMessage,
});

describe('account profiles with poison records', () => {
  it('dead-letters oversized and invalid profiles and applies the next one; a stored profile that is not JSON is replaced', async () => {
    const store = createMemoryStore();
    await store.write([{ op: 'set', key: keys.profile('acct-x'), value: '{corrupt' }]);
    const published: OutRecord[] = [];
    const handler = createAccountProfilesHandler({
      store,
      publisher: { publish: async (r) => void published.push(...r), close: async () => {} },
      config,
      log: silentLogger(),
    });
    await handler([
      record('acct-x', JSON.stringify({ ...profile('acct-x'), pad: 'p'.repeat(900_000) }), 0),
      record('acct-x', JSON.stringify({ ...profile('acct-x'), advanced_security: 'yes' }), 1),
      record('acct-x', JSON.stringify(profile('acct-x', { contacts: { email: 'next@example.com' } })), 2),
    ]);
    const dlq = published.filter((r) => r.topic === config.topics.dlq).map((r) => r.value as DlqRecord);
    expect(dlq.map((d) => [d.source.offset, d.error.code])).toEqual([
      ['0', 'RECORD_TOO_LARGE'],
      ['1', 'INVALID_EVENT'],
    ]);
    expect(dlq.every((d) => JSON.stringify(d).length < 100_000)).toBe(true);
    const [stored] = await store.read([keys.profile('acct-x')]);
    expect(JSON.parse(stored!).contacts.email).toBe('next@example.com');
  });
});
