import { loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { CONSUMER_NAMES, type ConsumerName, startPipeline } from '../runtime/pipeline.js';
import { onShutdown } from './shutdown.js';

/** `login-alerts run [--only NAME[,NAME]]`: the consumers and the HTTP server against the configured Kafka. */
export async function runRunCommand(args: string[]): Promise<number> {
  const only = parseOnly(args);
  const config = loadConfig();
  if (!config.kafka.brokers)
    throw new AppError('BAD_CONFIG', 'KAFKA_BROKERS: required for `run` (use `start` for a local broker)');
  const log = createLogger(config.logLevel);
  const pipeline = await startPipeline(config, log, { only });
  log.info({ http: pipeline.httpUrl, admin: pipeline.adminUrl, only: only ?? 'all' }, 'login-alerts running');
  await onShutdown(async () => {
    log.info('stopping: finishing the batches in flight');
    await pipeline.stop();
  });
  return 0;
}

function parseOnly(args: string[]): ConsumerName[] | undefined {
  const i = args.indexOf('--only');
  if (i === -1) {
    if (args.length > 0)
      throw new AppError('BAD_USAGE', `unknown argument ${args[0]}; usage: login-alerts run [--only NAME]`);
    return undefined;
  }
  const names = (args[i + 1] ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !(CONSUMER_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new AppError(
      'BAD_USAGE',
      `--only takes one or more of ${CONSUMER_NAMES.join(', ')}; got "${args[i + 1] ?? ''}"`,
    );
  }
  return names as ConsumerName[];
}
