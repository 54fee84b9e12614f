/**
 * Fetches the local broker's jars into the cache (Maven runs only when the cache is missing or stale).
 * Used by npm test's set-up (scripts/test-prerequisites.sh) so the download shows up as its own timed step, not inside the first test.
 */
import { ensureKafkaJars, kafkaHomeFromEnv } from '../src/kafka/local-broker.js';

const started = Date.now();
const jars = await ensureKafkaJars({
  home: kafkaHomeFromEnv(process.env),
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `Kafka ${jars.version} jars in ${jars.libDir} (${jars.downloaded ? 'downloaded' : 'cached, Maven not run'}, ${seconds} s)`,
);
