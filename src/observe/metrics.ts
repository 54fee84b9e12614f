import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric the product exports, in one registry per process; `ready` and `enrolled` are read at every scrape. */
export function createMetrics(opts: MetricSources = {}) {
  const registry = new Registry();
  // The default names start with process_ or nodejs_ themselves: login_alerts_process_cpu_seconds_total.
  collectDefaultMetrics({ register: registry, prefix: 'login_alerts_' });
  return { registry, ...flowMetrics(registry), ...consumerMetrics(registry, opts) };
}

interface MetricSources {
  ready?: () => boolean;
  enrolled?: () => number;
}

/** What the records did: events in, alerts, deliveries, end-to-end latency, ingest, dead letters. */
function flowMetrics(registry: Registry) {
  return {
    eventsIn: new Counter({
      name: 'login_alerts_events_total',
      help: 'Auth events consumed, by type and outcome',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'login_alerts_alerts_total',
      help: 'Alerts decided, by kind and severity',
      labelNames: ['kind', 'severity'] as const,
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'login_alerts_deliveries_total',
      help: 'Delivery outcomes, by channel and status',
      labelNames: ['channel', 'status'] as const,
      registers: [registry],
    }),
    endToEnd: new Histogram({
      name: 'login_alerts_end_to_end_seconds',
      help: 'From the event record timestamp to its decision being durable (stage decided: events of enrolled accounts) or to the channel send (stage sent)',
      labelNames: ['stage'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    dlqRecords: new Counter({
      name: 'login_alerts_dlq_records_total',
      help: 'Records written to the dead-letter topic, by source topic and error code',
      labelNames: ['source_topic', 'code'] as const,
      registers: [registry],
    }),
    ingestRecords: new Counter({
      name: 'login_alerts_ingest_records_total',
      help: 'Webhook ingest records, by IdP and outcome (published, ignored, dead_lettered, failed)',
      labelNames: ['idp', 'outcome'] as const,
      registers: [registry],
    }),
    responses: new Counter({
      name: 'login_alerts_responses_total',
      help: 'Containment actions recorded on login-alerts.responses, by IdP, action and status (done, not_found, failed)',
      labelNames: ['idp', 'action', 'status'] as const,
      registers: [registry],
    }),
    ssfSets: new Counter({
      name: 'login_alerts_ssf_sets_total',
      help: 'Shared Signals SETs, by event type and outcome (queued, delivered, retried, failed, acknowledged, dropped)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    ssfBacklog: new Gauge({
      name: 'login_alerts_ssf_backlog_sets',
      help: 'SETs waiting in a Shared Signals stream (push: not yet accepted; poll: not yet acknowledged), by stream id',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    dlqWriteFailures: new Counter({
      name: 'login_alerts_dlq_write_failures_total',
      help: 'Dead-letter records the broker refused for good (logged as DLQ_WRITE_FAILED and skipped), by source topic',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
  };
}

/** How the consumers are: crashes, membership, lag, stalls, and readiness as a whole. */
function consumerMetrics(registry: Registry, { ready, enrolled }: MetricSources) {
  return {
    consumerCrashes: new Counter({
      name: 'login_alerts_consumer_crashes_total',
      help: 'Consumers that stopped on their own and were restarted, by group and cause',
      labelNames: ['group', 'cause'] as const,
      registers: [registry],
    }),
    consumerUp: new Gauge({
      name: 'login_alerts_consumer_up',
      help: '1 while the consumer of a group is in its group, 0 while it is crashed or restarting',
      labelNames: ['group'] as const,
      registers: [registry],
    }),
    partitionStalled: new Gauge({
      name: 'login_alerts_partition_stalled',
      help: '1 while a partition has lag and its committed offset has not moved for STALL_AFTER',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [registry],
    }),
    partitionStalls: new Counter({
      name: 'login_alerts_partition_stalls_total',
      help: 'Times a partition became stalled',
      labelNames: ['group', 'topic'] as const,
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'login_alerts_consumer_lag',
      help: 'Messages between the last processed offset and the partition end',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers: [registry],
    }),
    enrolledAccounts: new Gauge({
      name: 'login_alerts_enrolled_accounts',
      help: "Enrolled accounts in this process's directory (about 100 bytes of memory each)",
      registers: [registry],
      collect() {
        if (enrolled) this.set(enrolled());
      },
    }),
    ready: new Gauge({
      name: 'login_alerts_ready',
      help: '1 while /readyz is true (every part ok), else 0',
      registers: [registry],
      collect() {
        if (ready) this.set(ready() ? 1 : 0);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
