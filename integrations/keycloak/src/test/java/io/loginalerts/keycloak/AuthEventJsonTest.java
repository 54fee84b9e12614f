package io.loginalerts.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.keycloak.events.Event;
import org.keycloak.events.EventType;

/** The mapper against events shaped as Keycloak 26.7.3 emits them (details as its admin API listed them). */
class AuthEventJsonTest {
  private static final String PASSKEY_ID = "GdvJrkzPvpJcdVw0qEiD4w";

  private static Event event(EventType type, Map<String, String> details) {
    Event e = new Event();
    e.setId("1f0e7c52-8f3e-4a57-9a59-5a4f5e0b7a02");
    e.setTime(1796151360000L);
    e.setType(type);
    e.setUserId("cb344200-bd0d-436e-b68a-4958979bcae9");
    e.setSessionId("9sWm2m3q1H0b3lJkqK0xYw");
    e.setIpAddress("81.2.69.160");
    e.setDetails(details);
    return e;
  }

  private static String auth(Event e) {
    String json = AuthEventJson.map(e, "demo", null, "demo");
    int start = json.indexOf("\"auth\":");
    return json.substring(start, json.indexOf('}', start) + 1);
  }

  /** A password sign-in whose flow ran the passkey registration: the LOGIN keeps the registration's details. */
  private static final Map<String, String> PASSWORD_THEN_REGISTERED = Map.of(
      "custom_required_action", "webauthn-register-passwordless",
      "auth_method", "openid-connect",
      "credential_type", "webauthn-passwordless",
      "public_key_credential_id", PASSKEY_ID,
      "public_key_credential_label", "Erin passkey",
      "public_key_credential_aaguid", "01020304-0506-0708-0102-030405060708",
      "username", "erin");

  @Test
  void aPasswordSignInThatRegisteredAPasskeyIsAPasswordSignInNamingNoCredential() {
    String json = AuthEventJson.map(event(EventType.LOGIN, PASSWORD_THEN_REGISTERED), "demo", null, "demo");
    assertTrue(json.contains("\"type\":\"login.succeeded\""), json);
    assertEquals("\"auth\":{\"method\":\"password\"}", auth(event(EventType.LOGIN, PASSWORD_THEN_REGISTERED)));
    assertFalse(json.contains(PASSKEY_ID), json);
  }

  @Test
  void aPasswordSignInThatRegisteredASecurityKeyIsAPasswordSignIn() {
    Map<String, String> details = Map.of(
        "credential_type", "webauthn",
        "public_key_credential_id", "b3NlY3VyaXR5LWtleQ",
        "public_key_credential_label", "YubiKey",
        "username", "erin");
    assertEquals("\"auth\":{\"method\":\"password\"}", auth(event(EventType.LOGIN, details)));
  }

  @Test
  void aPasskeySignInIsAPasskeySignInWithItsCredential() {
    Map<String, String> details = Map.of(
        "auth_method", "openid-connect",
        "credential_type", "webauthn-passwordless",
        "web_authn_authenticator_user_verification_checked", "true",
        "public_key_credential_id", PASSKEY_ID,
        "username", "erin");
    assertEquals(
        "\"auth\":{\"method\":\"passkey\",\"credential_id\":\"" + PASSKEY_ID + "\"}",
        auth(event(EventType.LOGIN, details)));
  }

  @Test
  void theRegistrationItselfStaysAPasskeyWithItsIdAndAaguid() {
    assertEquals(
        "\"auth\":{\"method\":\"passkey\",\"credential_id\":\"" + PASSKEY_ID
            + "\",\"aaguid\":\"01020304-0506-0708-0102-030405060708\"}",
        auth(event(EventType.UPDATE_CREDENTIAL, PASSWORD_THEN_REGISTERED)));
  }

  @Test
  void aFederatedSignInThatRegisteredAPasskeyStaysSso() {
    Map<String, String> details = new java.util.HashMap<>(PASSWORD_THEN_REGISTERED);
    details.put("identity_provider", "google");
    assertEquals("\"auth\":{\"method\":\"sso\"}", auth(event(EventType.LOGIN, details)));
  }
}
