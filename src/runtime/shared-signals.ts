import type https from 'node:https';
import type { SignalsParts } from '../../consumers/deps.js';
import { sharedSignalsRoutes } from '../http/shared-signals.js';
import { startPushDelivery } from '../signals/push.js';
import { createStreamQueue } from '../signals/queue.js';
import { createSigner } from '../signals/signer.js';
import { createStreamRepository } from '../signals/streams.js';
import type { Services } from './services.js';

/** The transmitter's parts when SSF_SIGNING_KEY_FILE is set; undefined when it is off. */
export async function buildSharedSignals(
  services: Services,
  opts: { agent?: https.Agent } = {},
): Promise<SignalsParts | undefined> {
  const { config, store, log, metrics } = services;
  const ssf = config.sharedSignals;
  if (ssf === undefined) return undefined;
  const streams = createStreamRepository(store, {
    defaultSubjects: ssf.defaultSubjects,
    audiences: ssf.receivers.map((r) => r.audience),
  });
  const queue = createStreamQueue(store, ssf.maxBacklog);
  return {
    signer: await createSigner(ssf, config.links.publicBaseUrl),
    streams,
    queue,
    push: startPushDelivery({
      store,
      streams,
      queue,
      log: log.child({ part: 'ssf-push' }),
      metrics,
      backoffMs: config.delivery.backoffMs,
      allowedHosts: ssf.pushAllowedHosts,
      agent: opts.agent,
    }),
  };
}

/** The transmitter's public routes. */
export function sharedSignalsPlugin(services: Services, parts: SignalsParts) {
  const ssf = services.config.sharedSignals!;
  return sharedSignalsRoutes({
    ...parts,
    receivers: ssf.receivers,
    defaultSubjects: ssf.defaultSubjects,
    metrics: services.metrics,
    wake: (ids) => parts.push.wake(ids),
  });
}
