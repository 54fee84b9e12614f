/**
 * Run as `node --import tsx test/support/broker-child.ts <dataDir>` by the orphan test: starts a broker,
 * prints one JSON line `{"pid":…,"bootstrap":…}` and then idles until it is killed. It never calls stop():
 * the point is to see the JVM die with this process.
 */
import { kafkaHomeFromEnv, startLocalBroker } from '../../src/kafka/local-broker.js';

const dataDir = process.argv[2];
const broker = await startLocalBroker({ port: 0, dataDir, home: kafkaHomeFromEnv(process.env) });
process.stdout.write(`${JSON.stringify({ pid: broker.pid, bootstrap: broker.bootstrap })}\n`);
setInterval(() => {}, 60_000);
