package io.loginalerts.keycloak;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.common.security.scram.ScramLoginModule;

/**
 * The producer's connection security from Keycloak's environment: a properties file of producer settings
 * (LOGIN_ALERTS_KAFKA_PROPERTIES_FILE), then the explicit LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL,
 * LOGIN_ALERTS_KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD and LOGIN_ALERTS_KAFKA_SSL_CA_FILE (a PEM CA
 * bundle), which win over the file. A setting that cannot work is an {@link IllegalArgumentException} naming
 * the variable, never a half-secured producer.
 */
final class KafkaSecurity {
  static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
  static final Set<String> MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

  /** Producer settings the file must not change: the publisher relies on them. */
  private static final Set<String> FIXED = Set.of("bootstrap.servers", "key.serializer", "value.serializer");

  private KafkaSecurity() {}

  /** Adds the security settings `env` names to `props`; returns a one-line description without secrets. */
  static String apply(Properties props, Function<String, String> env) {
    String file = env.apply("LOGIN_ALERTS_KAFKA_PROPERTIES_FILE");
    if (file != null) {
      Properties fromFile = new Properties();
      try (InputStream in = Files.newInputStream(Path.of(file))) {
        fromFile.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("LOGIN_ALERTS_KAFKA_PROPERTIES_FILE: cannot read " + file + " (" + e + ")");
      }
      for (Map.Entry<Object, Object> entry : fromFile.entrySet()) {
        if (!FIXED.contains(String.valueOf(entry.getKey()))) props.put(entry.getKey(), entry.getValue());
      }
    }
    String protocol = upper(env.apply("LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL"));
    if (protocol != null) {
      if (!PROTOCOLS.contains(protocol))
        throw new IllegalArgumentException("LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL: expected one of " + PROTOCOLS + ", got " + protocol);
      props.put("security.protocol", protocol);
    }
    String mechanism = upper(env.apply("LOGIN_ALERTS_KAFKA_SASL_MECHANISM"));
    if (mechanism != null) {
      if (!MECHANISMS.contains(mechanism))
        throw new IllegalArgumentException("LOGIN_ALERTS_KAFKA_SASL_MECHANISM: expected one of " + MECHANISMS + ", got " + mechanism);
      String user = env.apply("LOGIN_ALERTS_KAFKA_SASL_USERNAME");
      String password = env.apply("LOGIN_ALERTS_KAFKA_SASL_PASSWORD");
      if (user == null || password == null)
        throw new IllegalArgumentException(
            "LOGIN_ALERTS_KAFKA_SASL_MECHANISM is set: LOGIN_ALERTS_KAFKA_SASL_USERNAME and LOGIN_ALERTS_KAFKA_SASL_PASSWORD are required");
      // The class names as shaded into this jar: a literal name would point at Kafka's unshaded module.
      String module = mechanism.equals("PLAIN") ? PlainLoginModule.class.getName() : ScramLoginModule.class.getName();
      props.put("sasl.mechanism", mechanism);
      props.put("sasl.jaas.config", module + " required username=\"" + jaasQuote(user) + "\" password=\"" + jaasQuote(password) + "\";");
    }
    String ca = env.apply("LOGIN_ALERTS_KAFKA_SSL_CA_FILE");
    if (ca != null) {
      if (!Files.isReadable(Path.of(ca)))
        throw new IllegalArgumentException("LOGIN_ALERTS_KAFKA_SSL_CA_FILE: cannot read " + ca);
      props.put("ssl.truststore.type", "PEM");
      props.put("ssl.truststore.location", ca);
    }
    String effective = String.valueOf(props.getOrDefault("security.protocol", "PLAINTEXT"));
    boolean sasl = effective.startsWith("SASL_");
    if (sasl && props.get("sasl.jaas.config") == null)
      throw new IllegalArgumentException("security protocol " + effective + " needs LOGIN_ALERTS_KAFKA_SASL_MECHANISM and its user and password");
    if (!sasl && mechanism != null)
      throw new IllegalArgumentException(
          "LOGIN_ALERTS_KAFKA_SASL_MECHANISM is set but the security protocol is " + effective + ": set LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL=SASL_SSL");
    if (!effective.endsWith("SSL") && ca != null)
      throw new IllegalArgumentException(
          "LOGIN_ALERTS_KAFKA_SSL_CA_FILE is set but the security protocol is " + effective + ": set LOGIN_ALERTS_KAFKA_SECURITY_PROTOCOL=SASL_SSL or SSL");
    String who = sasl ? " as " + props.getOrDefault("sasl.mechanism", "GSSAPI") + (mechanism != null ? " user " + env.apply("LOGIN_ALERTS_KAFKA_SASL_USERNAME") : "") : "";
    return effective + who;
  }

  private static String upper(String v) {
    return v == null ? null : v.toUpperCase(Locale.ROOT);
  }

  /** JAAS option values are double-quoted strings in which a backslash escapes. */
  static String jaasQuote(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
