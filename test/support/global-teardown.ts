/** Jest global teardown: stops the broker global-setup.ts started (a KAFKA_BROKERS given from outside is left alone). */
export default async function globalTeardown(): Promise<void> {
  const broker = globalThis.__LOGIN_ALERTS_BROKER__;
  if (!broker) return;
  globalThis.__LOGIN_ALERTS_BROKER__ = undefined;
  await broker.stop();
  delete process.env.KAFKA_BROKERS;
}
