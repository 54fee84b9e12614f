/** `login-alerts kafka`: a local single-node Apache Kafka for development, until Ctrl-C. */
import { parseArgs } from 'node:util';
import { AppError } from '../errors.js';
import { kafkaHomeFromEnv, startLocalBroker } from '../kafka/local-broker.js';
import { onShutdown } from './shutdown.js';

const USAGE = `usage: login-alerts kafka [--port N] [--data-dir DIR]

  Starts a single-node Apache Kafka (KRaft) on 127.0.0.1 and prints its address.
  --port N          client port (default 9092, or a free port when 9092 is taken; 0: any free port)
  --data-dir DIR    keep the broker's data in DIR across runs (default: a fresh temp directory, removed on exit)

  The jars are fetched with Maven once into ~/.cache/login-alerts (LOGIN_ALERTS_KAFKA_HOME overrides).
  Ctrl-C (SIGINT) or SIGTERM stops the broker.`;

/** Runs the broker in the foreground; resolves with the exit code once it has stopped. */
export async function runKafkaCommand(args: string[]): Promise<number> {
  const { help, ...options } = parseOptions(args);
  if (help) {
    console.log(USAGE);
    return 0;
  }

  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const broker = await startLocalBroker({
    ...options,
    home: kafkaHomeFromEnv(process.env),
    onProgress: progress,
  });
  if (options.port === undefined && broker.port !== 9092)
    progress('Port 9092 is in use; using a free port instead.');
  console.log(`Kafka ready at ${broker.bootstrap}`);
  progress(`  KAFKA_BROKERS=${broker.bootstrap}   data: ${broker.dataDir}   log: ${broker.logFile}`);
  progress('  Ctrl-C stops it.');

  let stopRequested = false;
  const shutdown = onShutdown(async () => {
    stopRequested = true;
    progress('Stopping Kafka…');
    await broker.stop();
  });
  const outcome = await Promise.race([shutdown.then(() => 'stopped' as const), broker.exited]);
  if (outcome === 'stopped' || stopRequested) {
    await shutdown; // the JVM exits before stop() has finished cleaning up
    progress('Kafka stopped.');
    return 0;
  }
  // The JVM went away without being asked: say so, clean up what is left, and fail.
  await broker.stop();
  console.error(
    `login-alerts kafka: the broker exited unexpectedly (code ${outcome.code}, signal ${outcome.signal}); see ${broker.logFile}`,
  );
  return 1;
}

/** Usage errors are AppError BAD_USAGE, which the dispatcher turns into exit code 2. */
function parseOptions(args: string[]): { help: boolean; port?: number; dataDir?: string } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    throw new AppError('BAD_USAGE', `${(err as Error).message}\n${USAGE}`);
  }
  if (parsed.values.help) return { help: true };
  if (parsed.positionals.length > 0) {
    throw new AppError('BAD_USAGE', `unexpected argument "${parsed.positionals[0]}"\n${USAGE}`);
  }
  const options: { help: boolean; port?: number; dataDir?: string } = { help: false };
  if (parsed.values.port !== undefined) {
    const port = Number(parsed.values.port);
    if (!/^\d+$/.test(parsed.values.port) || port > 65_535) {
      throw new AppError(
        'BAD_USAGE',
        `--port must be a TCP port (0-65535, 0 for any free port), got "${parsed.values.port}"`,
      );
    }
    options.port = port;
  }
  if (parsed.values['data-dir'] !== undefined) options.dataDir = parsed.values['data-dir'];
  return options;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
