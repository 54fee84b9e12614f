package io.loginalerts.keycloak;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.keycloak.events.Event;

/**
 * A Keycloak user event as AuthEvent JSON (schema_version 1), the same fields src/ingest/keycloak.ts produces,
 * or null when login-alerts does not alert on it. Pure: no Keycloak session, no I/O.
 */
final class AuthEventJson {
  private AuthEventJson() {}

  /**
   * Keycloak 24+ sends these beside UPDATE_CREDENTIAL / REMOVE_CREDENTIAL for the same change; publishing both
   * would alert twice.
   */
  static final Set<String> LEGACY_TWINS = Set.of("UPDATE_PASSWORD", "UPDATE_TOTP", "REMOVE_TOTP");

  static String typeOf(String keycloakType) {
    switch (keycloakType) {
      case "LOGIN":
        return "login.succeeded";
      case "LOGIN_ERROR":
        return "login.failed";
      case "UPDATE_CREDENTIAL":
        return "credential.added";
      case "REMOVE_CREDENTIAL":
        return "credential.removed";
      default:
        return null;
    }
  }

  /** The AuthEvent for this event, or null when it is not one login-alerts alerts on (or names no user). */
  static String map(Event event, String product, String userAgent) {
    return map(event, product, userAgent, null);
  }

  /**
   * The AuthEvent, with the contract's v1.2 idp block when `realm` (the realm's name, as the admin REST API
   * addresses it) and the user id fit its shape; an optional id that does not fit is left out.
   */
  static String map(Event event, String product, String userAgent, String realm) {
    if (event.getType() == null || event.getUserId() == null || event.getIpAddress() == null) return null;
    String type = typeOf(event.getType().name());
    if (type == null) return null;
    Map<String, String> details = event.getDetails() == null ? Map.of() : event.getDetails();
    // A sign-in that registered a credential on its way carries that credential, not the one it signed in with.
    boolean credentialUsed = !(type.startsWith("login.") && registeredCredential(details));
    String credentialType = credentialUsed ? details.get("credential_type") : null;
    String eventId = event.getId() != null ? "keycloak:" + event.getId() : null;
    if (eventId == null || eventId.length() > 128) return null;

    StringBuilder auth = new StringBuilder("{\"method\":").append(quote(methodOf(credentialType, details)));
    String credentialId = credentialUsed ? details.get("public_key_credential_id") : null;
    if (credentialId != null && !credentialId.isEmpty()) auth.append(",\"credential_id\":").append(quote(clip(credentialId, 256)));
    if (type.equals("login.failed"))
      auth.append(",\"failure_reason\":").append(quote(failureReason(event.getError(), credentialType)));
    String aaguid = details.get("public_key_credential_aaguid");
    if (type.equals("credential.added") && isAaguid(aaguid)) auth.append(",\"aaguid\":").append(quote(aaguid.toLowerCase()));
    auth.append('}');

    StringBuilder client = new StringBuilder("{\"ip\":").append(quote(event.getIpAddress()));
    if (userAgent != null && !userAgent.isEmpty()) client.append(",\"user_agent\":").append(quote(clip(userAgent, 2048)));
    client.append('}');

    StringBuilder json = new StringBuilder(512)
        .append("{\"event_id\":").append(quote(eventId))
        .append(",\"schema_version\":1")
        .append(",\"type\":").append(quote(type))
        .append(",\"occurred_at\":").append(quote(Instant.ofEpochMilli(event.getTime()).toString()))
        .append(",\"account_id\":").append(quote(clip(event.getUserId(), 128)));
    String session = event.getSessionId();
    if (session != null && !session.isEmpty()) json.append(",\"session_id\":").append(quote(clip(session, 128)));
    else if (type.equals("login.succeeded")) json.append(",\"session_id\":").append(quote(eventId));
    return json.append(",\"product\":").append(quote(clip(product, 64)))
        .append(",\"client\":").append(client)
        .append(",\"auth\":").append(auth)
        .append(",\"source\":\"keycloak\"")
        .append(idpBlock(realm, event.getUserId(), session, credentialId))
        .append('}')
        .toString();
  }

  private static final String IDP_ID = "[A-Za-z0-9._~:@|+=/-]+";
  private static final String IDP_NAME = "[A-Za-z0-9._~:-]+";

  /** `,"idp":{…}` (contract v1.2), or "" when the realm or the user id does not fit the shape. */
  static String idpBlock(String realm, String userId, String session, String credentialId) {
    if (!fits(realm, IDP_NAME, 100) || !fits(userId, IDP_ID, 128)) return "";
    StringBuilder idp = new StringBuilder(",\"idp\":{\"provider\":\"keycloak\"")
        .append(",\"realm\":").append(quote(realm))
        .append(",\"user_id\":").append(quote(userId));
    if (fits(session, IDP_ID, 128)) idp.append(",\"session_id\":").append(quote(session));
    if (fits(credentialId, IDP_ID, 256)) idp.append(",\"credential_id\":").append(quote(credentialId));
    return idp.append('}').toString();
  }

  private static boolean fits(String s, String pattern, int max) {
    return s != null && !s.isEmpty() && s.length() <= max && s.matches(pattern);
  }

  /**
   * Details only Keycloak's WebAuthn registration sets (required actions `webauthn-register` and
   * `webauthn-register-passwordless`, beside `credential_type` and `public_key_credential_id`); a WebAuthn sign-in
   * sets neither. The registration writes them on the flow's event builder, where they stay: the LOGIN that ends
   * the same flow carries the registered credential's type and id, not the one used.
   */
  static final List<String> REGISTRATION_DETAILS = List.of("public_key_credential_aaguid", "public_key_credential_label");

  /** Whether the event's details describe a credential registered in its flow (see REGISTRATION_DETAILS). */
  static boolean registeredCredential(Map<String, String> details) {
    for (String key : REGISTRATION_DETAILS) if (details.get(key) != null) return true;
    return false;
  }

  /** WebAuthn passwordless credentials are passkeys, plain WebAuthn ones security keys. */
  static String methodOf(String credentialType, Map<String, String> details) {
    if (credentialType != null) {
      switch (credentialType) {
        case "webauthn-passwordless":
          return "passkey";
        case "webauthn":
          return "security_key";
        case "otp":
        case "totp":
        case "hotp":
          return "password_otp";
        case "password":
          return "password";
        default:
          break;
      }
    }
    return details.get("identity_provider") != null ? "sso" : "password";
  }

  static String failureReason(String error, String credentialType) {
    if ("user_temporarily_disabled".equals(error)) return "locked";
    if ("invalid_user_credentials".equals(error)) {
      if ("otp".equals(credentialType)) return "bad_otp";
      if (credentialType != null && credentialType.startsWith("webauthn")) return "credential_rejected";
      return "bad_password";
    }
    if ("invalid_totp".equals(error)) return "bad_otp";
    return "other";
  }

  private static boolean isAaguid(String s) {
    return s != null
        && s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
        && !s.equals("00000000-0000-0000-0000-000000000000");
  }

  private static String clip(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  /** A JSON string literal: quotes, backslashes and control characters escaped. */
  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == '\u2028' || c == '\u2029') out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
