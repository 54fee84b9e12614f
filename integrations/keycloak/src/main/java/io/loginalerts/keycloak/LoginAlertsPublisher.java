package io.loginalerts.keycloak;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Hands AuthEvents to Kafka off the sign-in path: offer() never blocks (a full queue drops the event and counts
 * it), one daemon thread sends with an idempotent, acks=all producer whose own waits are bounded, and every
 * failed send is counted and logged. A Kafka outage therefore costs alerts, never a sign-in.
 */
final class LoginAlertsPublisher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LoginAlertsPublisher.class);
  private static final int QUEUE_CAPACITY = 10_000;

  private final String topic;
  private final KafkaProducer<String, String> producer;
  private final BlockingQueue<String[]> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final Thread sender;
  private volatile boolean running = true;

  LoginAlertsPublisher(String brokers, String topic) {
    this.topic = topic;
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
    // The shaded client loads its plugins through the context class loader: make it ours, not Keycloak's.
    Thread current = Thread.currentThread();
    ClassLoader previous = current.getContextClassLoader();
    current.setContextClassLoader(LoginAlertsPublisher.class.getClassLoader());
    try {
      this.producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    } finally {
      current.setContextClassLoader(previous);
    }
    this.sender = new Thread(this::drain, "login-alerts-kafka-sender");
    this.sender.setDaemon(true);
    this.sender.start();
  }

  /** Queues one record; never blocks. */
  void offer(String key, String json) {
    if (!queue.offer(new String[] {key, json})) drop("queue full", null);
  }

  long dropped() {
    return dropped.get();
  }

  private void drain() {
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
        producer.send(new ProducerRecord<>(topic, record[0], record[1]), (meta, err) -> {
          if (err != null) drop("send failed", err);
          else sent.incrementAndGet();
        });
      } catch (RuntimeException e) {
        drop("send refused", e);
      }
    }
  }

  private void drop(String why, Throwable err) {
    long n = dropped.incrementAndGet();
    // The first drop and then one in a hundred: an outage must show in the log without flooding it.
    if (n == 1 || n % 100 == 0)
      LOG.warnf("login-alerts: %s; %d event(s) dropped so far (%d sent): %s", why, n, sent.get(),
          err == null ? "" : err.toString());
  }

  @Override
  public void close() {
    running = false;
    try {
      sender.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(5));
    LOG.infof("login-alerts: producer closed (%d sent, %d dropped)", sent.get(), dropped.get());
  }
}
