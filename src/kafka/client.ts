import type { ConnectionOptions } from 'node:tls';
import { Kafka, type KafkaConfig, logLevel as KafkaLogLevel, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../observe/logger.js';
import { registerCodecs } from './codecs.js';
import { tuneEncoder } from './kafkajs-encoder.js';

/**
 * Builds the kafkajs client from config; kafkajs's own logs go through our masked logger. Every client
 * made here reads (and can write) snappy, lz4 and zstd batches as well as gzip, and encodes its
 * requests with the leaner Encoder methods of kafkajs-encoder.ts.
 */
export function createKafka(config: Pick<Config, 'kafka'>, log: Logger, brokers?: string[]): Kafka {
  registerCodecs();
  tuneEncoder();
  const list = brokers ?? config.kafka.brokers;
  if (!list || list.length === 0) throw new Error('no Kafka brokers configured');
  const opts: KafkaConfig = {
    clientId: config.kafka.clientId,
    brokers: list,
    ...kafkaSecurity(config.kafka),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    // ~60 s of retries before kafkajs gives up and restarts a consumer: a broker restart (tens of
    // seconds for a JVM under load) is ridden through instead of crashing every consumer at once.
    retry: { initialRetryTime: 200, retries: 15, maxRetryTime: 5_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= KafkaLogLevel.ERROR) log.error({ kafka: rest }, message);
        else log.warn({ kafka: rest }, message);
      },
  };
  return new Kafka(opts);
}

/**
 * The TLS and SASL options of every kafkajs client made from config: certificates are always
 * verified; only the settings given are passed, so an unset server name leaves kafkajs sending each
 * broker's own host name.
 */
export function kafkaSecurity(kafka: Config['kafka']): {
  ssl: ConnectionOptions | false;
  sasl?: SASLOptions;
} {
  const ssl: ConnectionOptions | false = kafka.ssl ? { rejectUnauthorized: true } : false;
  if (ssl && kafka.tls) {
    const { ca, cert, privateKey: key, servername } = kafka.tls;
    if (ca !== undefined) ssl.ca = ca;
    if (cert !== undefined && key !== undefined) Object.assign(ssl, { cert, key });
    if (servername !== undefined) ssl.servername = servername;
  }
  // A copy: kafkajs writes into the SASL options it is given, and config is frozen.
  return kafka.sasl ? { ssl, sasl: { ...kafka.sasl } as SASLOptions } : { ssl };
}
