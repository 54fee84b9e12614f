import type { Kafka } from 'kafkajs';
import { AppError } from '../errors.js';
import { type LagReport, type PartitionLag, startLagMonitor } from '../kafka/lag-monitor.js';
import type { ConsumerEvent, ConsumerRef, ConsumerWatch } from '../kafka/supervisor.js';
import type { Health } from '../observe/health.js';
import type { Logger } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { Store } from '../state/store.js';

/** How often the store is pinged, and how long a ping may take before it counts as unreachable. */
const STORE_PING_MS = 5_000;
const STORE_PING_TIMEOUT_MS = 2_000;
/** Stalled partitions named in the readiness detail; the metric has them all. */
const STALLS_NAMED = 5;

export interface Monitoring {
  /** Hand this to every consumer loop: it reports into health and metrics and is lag-polled. */
  watch: ConsumerWatch;
  /** Probes the store now (tests; the timer probes on its own). */
  probeStore(): Promise<void>;
  /** Polls the lag now (tests; the timer polls on its own). */
  pollLag(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Readiness and its metrics: each consumer's part (`consumer:<group>`, false while crashed or waiting
 * on a dependency), `store` (a periodic ping), `kafka` (the offsets poll answering) and `partitions`
 * (false while any partition is stalled), plus consumer_lag, partition_stalled and the crash counter.
 */
export function startMonitoring(deps: MonitoringDeps): Monitoring {
  const consumers = new Map<string, ConsumerState>();
  const watch = createWatch(consumers, deps.health, deps.metrics);
  const lag = startLagMonitor({
    kafka: deps.kafka,
    log: deps.log,
    stallAfterMs: deps.stallAfterMs,
    pollMs: deps.lagPollMs,
    groups: () => [...consumers.values()].map((c) => c.ref),
    onReport: (report) => {
      deps.health.report('kafka', { ok: true });
      publishLag(
        report,
        deps.health,
        deps.metrics,
        (p) => consumers.get(p.group)?.assigned.has(`${p.topic}/${p.partition}`) ?? false,
      );
    },
    onError: () =>
      deps.health.report('kafka', {
        ok: false,
        code: 'KAFKA_UNAVAILABLE',
        detail: 'the brokers did not answer the offsets query',
      }),
  });
  const store = startStoreProbe(deps);
  return {
    watch,
    probeStore: store.probe,
    pollLag: () => lag.poll(),
    async stop() {
      await store.stop();
      await lag.stop();
    },
  };
}

export interface MonitoringDeps {
  kafka: Kafka;
  store: Store;
  health: Health;
  metrics: Metrics;
  log: Logger;
  stallAfterMs: number;
  storePingMs?: number;
  lagPollMs?: number;
}

/** Each consumer's events into its health part (`consumer:<group>`) and its metrics. */
function createWatch(consumers: Map<string, ConsumerState>, health: Health, metrics: Metrics): ConsumerWatch {
  return {
    report(ref, event) {
      const part = `consumer:${ref.groupId}`;
      if (event.event === 'stopped') {
        consumers.delete(ref.groupId);
        health.remove(part);
        metrics.consumerUp.remove({ group: ref.groupId });
        return;
      }
      const c = consumers.get(ref.groupId) ?? { ref, assigned: new Set<string>() };
      consumers.set(ref.groupId, c);
      applyEvent(c, event, metrics, ref.groupId);
      if (c.crashed) {
        health.report(part, {
          ok: false,
          code: 'CONSUMER_CRASHED',
          detail: `crashed (${c.crashed}); restarting`,
        });
      } else if (c.waiting) {
        health.report(part, { ok: false, code: c.waiting, detail: 'waiting for a dependency to answer' });
      } else health.report(part, { ok: true });
    },
  };
}

/** Pings the store every `storePingMs` (one ping at a time) into the `store` health part. */
function startStoreProbe(deps: Pick<MonitoringDeps, 'store' | 'health' | 'storePingMs'>) {
  const { store, health } = deps;
  const probeStore = async () => {
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), STORE_PING_TIMEOUT_MS);
      });
      await Promise.race([store.ping(), timeout]).finally(() => clearTimeout(timer));
      health.report('store', { ok: true, detail: store.kind });
    } catch (err) {
      // A refusal (credentials, ACL, TLS) says so: its message carries no secret, only Redis's reason.
      const refused = err instanceof AppError && err.code === 'STORE_REFUSED';
      health.report('store', {
        ok: false,
        code: refused ? 'STORE_REFUSED' : 'STORE_UNAVAILABLE',
        detail: refused ? `${store.kind}: ${err.message}` : 'the state store did not answer a ping',
      });
    }
  };
  let stopped = false;
  let probing: Promise<void> = Promise.resolve();
  const storeTimer = setInterval(() => {
    if (!stopped) probing = probing.then(probeStore);
  }, deps.storePingMs ?? STORE_PING_MS);
  return {
    probe: () => {
      probing = probing.then(probeStore);
      return probing;
    },
    async stop() {
      stopped = true;
      clearInterval(storeTimer);
      await probing;
    },
  };
}

interface ConsumerState {
  ref: ConsumerRef;
  /** `topic/partition` this process's member was last assigned: its stalls are this process's. */
  assigned: Set<string>;
  crashed?: string;
  waiting?: string;
}

function applyEvent(
  c: ConsumerState,
  event: Exclude<ConsumerEvent, { event: 'stopped' }>,
  metrics: Metrics,
  group: string,
): void {
  switch (event.event) {
    case 'joined':
      c.crashed = undefined;
      c.assigned = new Set(Object.entries(event.assigned).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`)));
      metrics.consumerUp.set({ group }, 1);
      break;
    case 'crashed':
      c.crashed = event.cause;
      metrics.consumerUp.set({ group }, 0);
      metrics.consumerCrashes.inc({ group, cause: event.cause });
      break;
    case 'waiting':
      c.waiting = event.code;
      break;
    case 'recovered':
      c.waiting = undefined;
      break;
  }
}

/**
 * Sets every polled partition's lag and stall gauges (replacing the last poll's) and the stall part.
 * Readiness counts only the stalls of partitions assigned here: with replicas, a partition stuck on
 * one member takes that member out, not all of them (each still shows it in the metrics).
 */
function publishLag(
  report: LagReport,
  health: Health,
  metrics: Metrics,
  ownedHere: (p: PartitionLag) => boolean,
): void {
  metrics.lag.reset();
  metrics.partitionStalled.reset();
  for (const p of report.partitions) {
    const labels = { group: p.group, topic: p.topic, partition: String(p.partition) };
    metrics.lag.set(labels, p.lag);
    metrics.partitionStalled.set(labels, p.stalled ? 1 : 0);
  }
  for (const p of report.stalled) metrics.partitionStalls.inc({ group: p.group, topic: p.topic });
  const stalledAnywhere = report.partitions.filter((p) => p.stalled);
  const stalled = stalledAnywhere.filter(ownedHere);
  if (stalled.length === 0) {
    const elsewhere = stalledAnywhere.length;
    health.report(
      'partitions',
      elsewhere ? { ok: true, detail: `${elsewhere} stalled on other members` } : { ok: true },
    );
    return;
  }
  const named = stalled.slice(0, STALLS_NAMED).map((p) => `${p.group} ${p.topic}/${p.partition}`);
  const more = stalled.length > STALLS_NAMED ? ` and ${stalled.length - STALLS_NAMED} more` : '';
  health.report('partitions', {
    ok: false,
    code: 'PARTITION_STALLED',
    detail: `${stalled.length} stalled: ${named.join(', ')}${more}`,
  });
}
