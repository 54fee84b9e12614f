import { readFile } from 'node:fs/promises';
import { loadConfig } from '../config/config.js';
import type { AuthEvent } from '../contracts/auth-event.js';
import { decodeJson, validateAuthEvent } from '../contracts/decode.js';
import { AppError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import { COMPRESSION_TYPES } from '../kafka/codecs.js';
import { createPublisher } from '../kafka/publisher.js';
import { createLogger } from '../observe/logger.js';

/** Splits a JSON array, a single JSON object, or JSON lines into items with their line numbers. */
export function parseEventsText(text: string): { line: number; value?: unknown; error?: string }[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const json = decodeJson(trimmed, Number.MAX_SAFE_INTEGER);
    if (!json.ok) return [{ line: 1, error: json.message }];
    if (!Array.isArray(json.value)) return [{ line: 1, error: 'expected an array of events' }];
    return json.value.map((value, i) => ({ line: i + 1, value }));
  }
  const whole = decodeJson(trimmed, Number.MAX_SAFE_INTEGER);
  if (whole.ok && trimmed.includes('\n')) return [{ line: 1, value: whole.value }];
  return text
    .split('\n')
    .map((raw, i) => ({ raw: raw.trim(), line: i + 1 }))
    .filter((l) => l.raw !== '')
    .map(({ raw, line }) => {
      const json = decodeJson(raw, Number.MAX_SAFE_INTEGER);
      return json.ok ? { line, value: json.value } : { line, error: json.message };
    });
}

/** Validates every event; problems are `line N: field: rule`. */
export function validateEvents(
  items: { line: number; value?: unknown; error?: string }[],
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
  const text =
    source === '-'
      ? await readStdin()
      : await readFile(source, 'utf8').catch((err: Error) => {
          throw new AppError('BAD_USAGE', `cannot read ${source}: ${err.message}`);
        });
  const { events, problems } = validateEvents(parseEventsText(text), Date.now());
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`${problems.length} invalid event(s); nothing was published`);
    return 2;
  }
  if (events.length === 0) throw new AppError('BAD_USAGE', `${source} holds no events`);
  const config = loadConfig();
  const brokers = config.kafka.brokers ?? ['127.0.0.1:9092'];
  const log = createLogger(config.logLevel);
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
  console.log(`published ${events.length} event(s) to ${config.topics.authEvents} on ${brokers.join(',')}`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
