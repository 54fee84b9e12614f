package io.loginalerts.keycloak;

import org.keycloak.Config;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.jboss.logging.Logger;

/**
 * Provider id {@code login-alerts}. Configured by the environment: LOGIN_ALERTS_KAFKA_BROKERS (required to
 * publish), LOGIN_ALERTS_TOPIC (default auth.events), LOGIN_ALERTS_PRODUCT (default: the realm's name).
 */
public final class LoginAlertsEventListenerProviderFactory implements EventListenerProviderFactory {
  public static final String ID = "login-alerts";
  private static final Logger LOG = Logger.getLogger(LoginAlertsEventListenerProviderFactory.class);

  private volatile LoginAlertsPublisher publisher;
  private String brokers;
  private String topic;
  private String product;

  @Override
  public void init(Config.Scope config) {
    brokers = env("LOGIN_ALERTS_KAFKA_BROKERS", null);
    topic = env("LOGIN_ALERTS_TOPIC", "auth.events");
    product = env("LOGIN_ALERTS_PRODUCT", null);
    if (brokers == null) LOG.warn("login-alerts: LOGIN_ALERTS_KAFKA_BROKERS is not set; events are not published");
    else LOG.infof("login-alerts: publishing to %s on %s", topic, brokers);
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
      if (publisher == null) publisher = brokers == null ? null : new LoginAlertsPublisher(brokers, topic);
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

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v.trim();
  }
}
