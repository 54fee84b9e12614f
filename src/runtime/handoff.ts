import type { ChannelName } from '../channels/channel.js';
import type { NotificationRequest } from '../contracts/notification.js';
import type { Logger } from '../log/logger.js';
import type { Dispatcher } from '../notify/dispatch.js';

/** Hand-offs in flight per channel; beyond it, requests are left to the channel group. */
const MAX_IN_FLIGHT_PER_CHANNEL = 64;

export interface HandOff {
  /** Passes freshly decided (and already durable) requests to this process's dispatchers; never waits. */
  (requests: NotificationRequest[]): void;
  /** Waits for the hand-offs in flight (before the store and channels close). */
  drain(): Promise<void>;
}

/**
 * The in-process first try: the process that decided an alert sends it at once, without a second
 * Kafka hop. Each channel is independent and bounded, so a slow provider neither holds back the
 * decisions nor piles up work here: past the bound, the channel group delivers after its grace.
 */
export function createHandOff(dispatchers: Record<ChannelName, Dispatcher>, log: Logger): HandOff {
  const inFlight = new Map<ChannelName, Set<Promise<void>>>();
  const handOff = ((requests: NotificationRequest[]) => {
    for (const [channel, dispatcher] of Object.entries(dispatchers) as [ChannelName, Dispatcher][]) {
      if (!requests.some((r) => r.channels.includes(channel))) continue;
      const running = inFlight.get(channel) ?? new Set<Promise<void>>();
      inFlight.set(channel, running);
      if (running.size >= MAX_IN_FLIGHT_PER_CHANNEL) continue;
      const p: Promise<void> = dispatcher
        .handOff(requests)
        .catch((err: unknown) =>
          log.warn({ err: (err as Error).message, channel }, 'hand-off failed; left to the channel group'),
        )
        .finally(() => running.delete(p));
      running.add(p);
    }
  }) as HandOff;
  handOff.drain = async () => {
    await Promise.allSettled([...inFlight.values()].flatMap((set) => [...set]));
  };
  return handOff;
}
