package io.loginalerts.keycloak;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Hands AuthEvents to Kafka off the sign-in path. offer() never blocks: a full buffer drops the event and counts
 * it. One daemon thread builds the producer (idempotent, acks=all, its own waits bounded), waits until Kafka
 * answers for the topic and only then takes events from the buffer, so during an outage the buffer keeps the
 * first events and the ones beyond it are dropped. A Kafka outage therefore costs alerts, never a sign-in.
 *
 * <p>Log lines, all prefixed {@code login-alerts:}: "Kafka … not reachable yet" once per outage before the first
 * connection; "event dropped (…); N dropped, M sent" on the first drop after a delivery and then at most every
 * {@value #DROP_LOG_SECONDS} s; "delivering again; N dropped, M sent" on the first delivery after drops.
 */
final class LoginAlertsPublisher implements AutoCloseable {
  static final int DEFAULT_BUFFER = 10_000;
  static final int DROP_LOG_SECONDS = 10;
  private static final Logger LOG = Logger.getLogger(LoginAlertsPublisher.class);
  private static final long RETRY_CREATE_MS = 5_000;
  /** A partitionsFor that fails sooner than this was refused (authorization, authentication), not timed out. */
  private static final long FAST_FAILURE_MS = 1_000;
  private static final long BACKOFF_FIRST_MS = 1_000;
  private static final long BACKOFF_MAX_MS = 30_000;

  private final String brokers;
  private final Properties security;
  private final String topic;
  private final int capacity;
  private final BlockingQueue<String[]> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong lastDropLog = new AtomicLong();
  /** True from a drop until the next delivery: the first drop of an outage is always logged. */
  private final AtomicBoolean dropping = new AtomicBoolean();
  private final Thread sender;
  private volatile KafkaProducer<String, String> producer;
  private volatile boolean running = true;

  /** `security`: the connection's security settings (see {@link KafkaSecurity}), applied over the defaults. */
  LoginAlertsPublisher(String brokers, Properties security, String topic, int capacity) {
    this.brokers = brokers;
    this.security = security;
    this.topic = topic;
    this.capacity = capacity;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.sender = new Thread(this::run, "login-alerts-kafka-sender");
    this.sender.setDaemon(true);
    // The shaded client loads its plugins through the context class loader: make it ours, not Keycloak's.
    this.sender.setContextClassLoader(LoginAlertsPublisher.class.getClassLoader());
    this.sender.start();
  }

  /** Queues one record; never blocks. */
  void offer(String key, String json) {
    if (!queue.offer(new String[] {key, json})) drop("buffer of " + capacity + " full", null);
  }

  long dropped() {
    return dropped.get();
  }

  long sent() {
    return sent.get();
  }

  private void run() {
    KafkaProducer<String, String> p = createProducer();
    if (p == null || !awaitKafka(p)) return;
    LOG.infof("login-alerts: connected to Kafka at %s; delivering %d buffered event(s)", brokers, queue.size());
    drain(p);
  }

  /** The producer, retried while its construction fails (e.g. a broker name that does not resolve yet). */
  private KafkaProducer<String, String> createProducer() {
    while (running) {
      try {
        producer = new KafkaProducer<>(producerProperties(), new StringSerializer(), new StringSerializer());
        return producer;
      } catch (KafkaException e) {
        LOG.warnf("login-alerts: cannot create the Kafka producer for %s (retrying): %s", brokers, e.toString());
        if (!pause(RETRY_CREATE_MS)) return null;
      }
    }
    return null;
  }

  /**
   * Blocks until the topic's partitions are known, so no buffered event is spent on an unreachable Kafka. An
   * unreachable Kafka makes partitionsFor wait max.block.ms; a refusal (no WRITE on the topic, a wrong
   * password, an untrusted certificate) returns at once, so those are retried with a growing pause instead
   * of a busy loop.
   */
  private boolean awaitKafka(KafkaProducer<String, String> p) {
    boolean logged = false;
    long backoff = BACKOFF_FIRST_MS;
    while (running) {
      long started = System.nanoTime();
      try {
        p.partitionsFor(topic);
        return true;
      } catch (KafkaException e) {
        boolean refused = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) < FAST_FAILURE_MS;
        if (!logged) {
          if (e instanceof AuthorizationException)
            LOG.errorf("login-alerts: Kafka at %s refuses topic %s to this producer (%s): grant its principal WRITE on"
                + " the topic; buffering up to %d event(s), retrying with backoff", brokers, topic, e.toString(), capacity);
          else if (e instanceof AuthenticationException)
            LOG.errorf("login-alerts: Kafka at %s refused this producer's sign-in or TLS handshake (%s): check the"
                + " LOGIN_ALERTS_KAFKA_* settings; buffering up to %d event(s), retrying with backoff", brokers,
                e.toString(), capacity);
          else
            LOG.warnf("login-alerts: Kafka at %s not reachable yet (%s); buffering up to %d event(s)", brokers,
                e.toString(), capacity);
          logged = true;
        }
        if (refused) {
          if (!pause(backoff)) return false;
          backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
        }
      }
    }
    return false;
  }

  private void drain(KafkaProducer<String, String> p) {
    while (running || !queue.isEmpty()) {
      String[] record;
      try {
        record = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (record == null) continue;
      try {
        p.send(new ProducerRecord<>(topic, record[0], record[1]), (meta, err) -> {
          if (err != null) drop("send failed", err);
          else delivered();
        });
      } catch (RuntimeException e) {
        drop("send refused", e);
      }
    }
  }

  private void delivered() {
    long n = sent.incrementAndGet();
    if (dropping.compareAndSet(true, false))
      LOG.infof("login-alerts: delivering again; %d dropped, %d sent", dropped.get(), n);
  }

  private void drop(String why, Throwable err) {
    long n = dropped.incrementAndGet();
    long now = System.nanoTime();
    long last = lastDropLog.get();
    boolean first = dropping.compareAndSet(false, true);
    boolean due = now - last >= TimeUnit.SECONDS.toNanos(DROP_LOG_SECONDS) && lastDropLog.compareAndSet(last, now);
    if (first) lastDropLog.set(now);
    // An outage must show in the log without flooding it.
    if (first || due)
      LOG.warnf("login-alerts: event dropped (%s); %d dropped, %d sent%s", why, n, sent.get(),
          err == null ? "" : ": " + err);
  }

  private Properties producerProperties() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "login-alerts-keycloak");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "2000");
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(8L * 1024 * 1024));
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    p.putAll(security);
    return p;
  }

  private boolean pause(long ms) {
    try {
      Thread.sleep(ms);
      return running;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      sender.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    KafkaProducer<String, String> p = producer;
    if (p != null) p.close(Duration.ofSeconds(5));
    LOG.infof("login-alerts: producer closed (%d sent, %d dropped, %d unsent)", sent.get(), dropped.get(),
        queue.size());
  }
}
