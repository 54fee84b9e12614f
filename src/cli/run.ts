import { type ChannelName, type Config, loadConfig } from '../config/config.js';
import { AppError } from '../errors.js';
import { createLogger, type Logger } from '../observe/logger.js';
import { describeChannels } from '../runtime/channels.js';
import { type ConsumerName, startPipeline } from '../runtime/pipeline.js';
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

/**
 * The names `--only` accepts, and the consumer each starts. `alert-feed` is the consumer behind the
 * dashboard's live feed, `dispatch` the channel dispatchers; their first names, `dashboard` and
 * `deliveries`, stay accepted so existing commands keep working.
 */
const ONLY_NAMES: Record<string, ConsumerName> = {
  'account-security': 'account-security',
  'login-events': 'login-events',
  dispatch: 'dispatch',
  deliveries: 'dispatch',
  'alert-feed': 'alert-feed',
  dashboard: 'alert-feed',
  respond: 'respond',
  'shared-signals': 'shared-signals',
};
const OLD_NAMES = new Set(['dashboard', 'deliveries']);

function parseOnly(args: string[]): ConsumerName[] | undefined {
  const i = args.indexOf('--only');
  if (i === -1) {
    if (args.length > 0)
      throw new AppError('BAD_USAGE', `unknown argument ${args[0]}; usage: login-alerts run [--only NAME]`);
    return undefined;
  }
  const names = (args[i + 1] ?? '').split(',').filter(Boolean);
  const bad = names.filter((n) => !Object.hasOwn(ONLY_NAMES, n));
  if (names.length === 0 || bad.length > 0) {
    const accepted = Object.keys(ONLY_NAMES).filter((n) => !OLD_NAMES.has(n));
    throw new AppError(
      'BAD_USAGE',
      `--only takes one or more of ${accepted.join(', ')} (dashboard, deliveries: the old names of alert-feed, dispatch); got "${args[i + 1] ?? ''}"`,
    );
  }
  return [...new Set(names.map((n) => ONLY_NAMES[n]!))];
}
