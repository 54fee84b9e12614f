import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/config.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import { validateAuthEvent } from '../contracts/decode.js';
import { type JsonTextItem, parseEventsText } from '../contracts/json-text.js';
import { AppError } from '../errors.js';
import { checkKafkaAccess } from '../kafka/access-check.js';
import { createKafka } from '../kafka/client.js';
import { COMPRESSION_TYPES } from '../kafka/codecs.js';
import { createPublisher } from '../kafka/publisher.js';
import { createLogger } from '../observe/logger.js';

/** Validates every event; problems are `line N: field: rule`. */
export function validateEvents(
  items: JsonTextItem[],
  now: number,
): { events: AuthEvent[]; problems: string[] } {
  const events: AuthEvent[] = [];
  const problems: string[] = [];
  for (const item of items) {
    if (item.error) {
      problems.push(`line ${item.line}: ${item.error}`);
      continue;
    }
    const checked = validateAuthEvent(item.value, now);
    if (checked.ok) events.push(checked.value);
    else problems.push(`line ${item.line}: ${checked.message}`);
  }
  return { events, problems };
}

/** `login-alerts publish FILE|-`: all valid, or nothing is published (exit 2). */
export async function runPublishCommand(args: string[]): Promise<number> {
  const source = args[0];
  if (!source || args.length > 1) throw new AppError('BAD_USAGE', 'usage: login-alerts publish FILE|-');
  const text = await readSource(source);
  const { events, problems } = validateEvents(parseEventsText(text), Date.now());
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`${problems.length} invalid event(s); nothing was published`);
    return 2;
  }
  if (events.length === 0) throw new AppError('BAD_USAGE', `${source} holds no events`);
  console.log(await publishEvents(events));
  return 0;
}

/** Publishes valid AuthEvents to the configured auth.events topic, keyed by account; says where. */
export async function publishEvents(events: AuthEvent[]): Promise<string> {
  const config = loadConfig();
  const brokers = config.kafka.brokers ?? ['127.0.0.1:9092'];
  const log = createLogger(config.logLevel);
  await checkKafkaAccess(config, brokers);
  const publisher = await createPublisher(createKafka(config, log, brokers), {
    compression: COMPRESSION_TYPES[config.kafka.compression],
  });
  try {
    await publisher.publish(
      events.map((e) => ({ topic: config.topics.authEvents, key: e.account_id, value: e })),
    );
  } finally {
    await publisher.close();
  }
  return `published ${events.length} event(s) to ${config.topics.authEvents} on ${brokers.join(',')}`;
}

/** The text of FILE, or of stdin for `-`. */
export async function readSource(source: string): Promise<string> {
  return source === '-'
    ? readStdin()
    : readFile(source, 'utf8').catch((err: Error) => {
        throw new AppError('BAD_USAGE', `cannot read ${source}: ${err.message}`);
      });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
