import { type ChannelName, type Config, loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { describeChannels } from '../runtime/channels.js';
import { CONSUMER_NAMES, type ConsumerName, startPipeline } from '../runtime/pipeline.js';
import { onShutdown } from './shutdown.js';

/** `login-alerts run [--only NAME[,NAME]]`: the consumers and the HTTP server against the configured Kafka. */
export async function runRunCommand(args: string[]): Promise<number> {
  const only = parseOnly(args);
  const config = loadConfig(process.env, { production: true });
  const log = createLogger(config.logLevel);
  logChannels(config, log);
  const pipeline = await startPipeline(config, log, { only });
  log.info({ http: pipeline.httpUrl, admin: pipeline.adminUrl, only: only ?? 'all' }, 'login-alerts running');
  await onShutdown(async () => {
    log.info('stopping: finishing the batches in flight');
    await pipeline.stop();
  });
  return 0;
}

/** One line saying where each channel goes, and a warning for each that is off. */
function logChannels(config: Config, log: Logger): void {
  const where = describeChannels(config);
  log.info({ channels: where }, 'delivery channels');
  for (const [channel, route] of Object.entries(config.channelRoutes)) {
    if (route === 'off') log.warn({ channel }, `channel ${channel}: ${where[channel as ChannelName]}`);
  }
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
