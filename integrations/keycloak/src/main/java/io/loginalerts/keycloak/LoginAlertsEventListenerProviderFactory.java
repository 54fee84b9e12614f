package io.loginalerts.keycloak;

import java.util.Properties;
import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.jboss.logging.Logger;

/**
 * Provider id {@code login-alerts}. Configured by the environment: LOGIN_ALERTS_KAFKA_BROKERS (required to
 * publish), LOGIN_ALERTS_TOPIC (default auth.events), LOGIN_ALERTS_PRODUCT (default: the realm's name),
 * LOGIN_ALERTS_BUFFER (events held while Kafka is away, default 10000; more are dropped, counted and logged),
 * and the connection's security (TLS, SASL) as {@link KafkaSecurity} reads it. Security settings that cannot
 * work leave the provider off, with an error in the log: never a producer that is less secure than asked.
 */
public final class LoginAlertsEventListenerProviderFactory implements EventListenerProviderFactory {
  public static final String ID = "login-alerts";
  private static final Logger LOG = Logger.getLogger(LoginAlertsEventListenerProviderFactory.class);

  private volatile LoginAlertsPublisher publisher;
  private String brokers;
  private final Properties security = new Properties();
  private String topic;
  private String product;
  private int buffer;

  @Override
  public void init(Config.Scope config) {
    brokers = env("LOGIN_ALERTS_KAFKA_BROKERS", null);
    topic = env("LOGIN_ALERTS_TOPIC", "auth.events");
    product = env("LOGIN_ALERTS_PRODUCT", null);
    buffer = positive(env("LOGIN_ALERTS_BUFFER", null), LoginAlertsPublisher.DEFAULT_BUFFER);
    if (brokers == null) {
      LOG.warn("login-alerts: LOGIN_ALERTS_KAFKA_BROKERS is not set; events are not published");
      return;
    }
    String over;
    try {
      over = KafkaSecurity.apply(security, LoginAlertsEventListenerProviderFactory::envOrNull);
    } catch (IllegalArgumentException e) {
      LOG.errorf("login-alerts: %s; events are not published", e.getMessage());
      brokers = null;
      return;
    }
    LOG.infof("login-alerts: publishing to %s on %s over %s (buffer %d events)", topic, brokers, over, buffer);
  }

  @Override
  public void postInit(KeycloakSessionFactory factory) {}

  @Override
  public EventListenerProvider create(KeycloakSession session) {
    return new LoginAlertsEventListenerProvider(session, publisher(), product);
  }

  /** Created on first use, so Keycloak starts the same whether or not Kafka is up. */
  private LoginAlertsPublisher publisher() {
    LoginAlertsPublisher p = publisher;
    if (p != null) return p;
    synchronized (this) {
      if (publisher == null) publisher = brokers == null ? null : new LoginAlertsPublisher(brokers, security, topic, buffer);
      return publisher;
    }
  }

  @Override
  public void close() {
    LoginAlertsPublisher p = publisher;
    if (p != null) p.close();
  }

  @Override
  public String getId() {
    return ID;
  }

  private static int positive(String value, int fallback) {
    if (value == null) return fallback;
    try {
      int n = Integer.parseInt(value);
      if (n > 0) return n;
    } catch (NumberFormatException e) {
      // reported below
    }
    LOG.warnf("login-alerts: LOGIN_ALERTS_BUFFER=%s is not a positive integer; using %d", value, fallback);
    return fallback;
  }

  private static String envOrNull(String name) {
    return env(name, null);
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
