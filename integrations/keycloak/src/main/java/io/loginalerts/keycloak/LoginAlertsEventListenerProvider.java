package io.loginalerts.keycloak;

import jakarta.ws.rs.core.HttpHeaders;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.jboss.logging.Logger;

/** Publishes sign-ins, failed sign-ins and credential changes of one request as AuthEvents. Never throws. */
final class LoginAlertsEventListenerProvider implements EventListenerProvider {
  private static final Logger LOG = Logger.getLogger(LoginAlertsEventListenerProvider.class);

  private final KeycloakSession session;
  private final LoginAlertsPublisher publisher;
  private final String product;

  LoginAlertsEventListenerProvider(KeycloakSession session, LoginAlertsPublisher publisher, String product) {
    this.session = session;
    this.publisher = publisher;
    this.product = product;
  }

  @Override
  public void onEvent(Event event) {
    try {
      String realm = realmName(event);
      String json = AuthEventJson.map(event, product != null ? product : realm, userAgent(), realm);
      if (json != null && publisher != null) publisher.offer(event.getUserId(), json);
    } catch (RuntimeException e) {
      // A bug here must cost an alert, not the user's sign-in.
      LOG.warnf("login-alerts: could not publish %s: %s", event.getType(), e.toString());
    }
  }

  @Override
  public void onEvent(AdminEvent event, boolean includeRepresentation) {}

  @Override
  public void close() {}

  private String realmName(Event event) {
    if (event.getRealmName() != null) return event.getRealmName();
    RealmModel realm = event.getRealmId() == null ? null : session.realms().getRealm(event.getRealmId());
    return realm != null ? realm.getName() : event.getRealmId() != null ? event.getRealmId() : "keycloak";
  }

  private String userAgent() {
    HttpHeaders headers = session.getContext() == null ? null : session.getContext().getRequestHeaders();
    return headers == null ? null : headers.getHeaderString(HttpHeaders.USER_AGENT);
  }
}
