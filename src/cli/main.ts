import { AppError } from '../errors.js';
import { createLogger } from '../observe/logger.js';
import { dropKnownWarnings, installProcessHandlers } from './process-handlers.js';

const USAGE = `usage: login-alerts <command>

  start                 the whole product on embedded defaults (local Kafka, email inbox, outbox)
  run [--only NAME]     the consumers and HTTP server against KAFKA_BROKERS (production)
  demo [--idp]          play a scenario against the running pipeline and print what happened
                        (--idp: also Keycloak, Auth0 and Okta samples through the ingest paths)
  publish FILE|-        validate and publish AuthEvents (JSON or JSON lines)
  ingest-file --format keycloak|auth0|okta [--product NAME] [--publish] FILE|-
                        map an IdP's events to AuthEvents (print them, or publish the valid ones)
  kafka                 start only the local Kafka broker
  schemas [--write|--check]  generate (or check) the JSON Schemas in schemas/

exit codes: 0 ok, 1 runtime failure, 2 bad configuration or usage`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./start.js')).runStartCommand,
  run: async () => (await import('./run.js')).runRunCommand,
  demo: async () => (await import('./demo.js')).runDemoCommand,
  publish: async () => (await import('./publish.js')).runPublishCommand,
  'ingest-file': async () => (await import('./ingest-file.js')).runIngestFileCommand,
  kafka: async () => (await import('./kafka.js')).runKafkaCommand,
  schemas: async () => (await import('./schemas.js')).runSchemasCommand,
};

/** The commands `login-alerts` knows, in the order of its usage text. */
export const COMMAND_NAMES: readonly string[] = Object.freeze(Object.keys(COMMANDS));

/** Dispatches a command; turns errors into the contract's exit codes with a readable message. */
export async function main(argv: string[]): Promise<number> {
  // Error level whatever LOG_LEVEL says: these lines are what a crashed or leaking process leaves.
  installProcessHandlers(createLogger('error', 'login-alerts'));
  dropKnownWarnings();
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(args);
  } catch (err) {
    if (err instanceof AppError && (err.code === 'BAD_CONFIG' || err.code === 'BAD_USAGE')) {
      console.error(`login-alerts ${name}: ${err.code === 'BAD_CONFIG' ? 'bad configuration' : 'bad usage'}`);
      for (const line of err.message.split('\n')) console.error(`  ${line}`);
      return 2;
    }
    const code = err instanceof AppError ? ` [${err.code}]` : '';
    console.error(`login-alerts ${name}: failed${code}: ${(err as Error).message}`);
    return 1;
  }
}
