package dev.knetty.autoscaler.kubernetes.webhook;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * A serving certificate chain, its private key and the CA that clients trust, all PEM.
 *
 * @param certChainPem the serving certificate first, then intermediates
 * @param privateKeyPem the serving key (PKCS#8, PKCS#1 or SEC1)
 * @param caPem the CA certificate for the webhook's {@code caBundle}; empty if not known here
 */
record TlsMaterial(String certChainPem, String privateKeyPem, String caPem) {

  TlsMaterial {
    Objects.requireNonNull(certChainPem, "certChainPem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    Objects.requireNonNull(caPem, "caPem");
  }

  /**
   * A server context with the JDK provider (no tcnative in the image), TLS 1.3 and 1.2 only. Netty
   * reads PKCS#1 and SEC1 keys through BouncyCastle, which is on the classpath.
   */
  SslContext newServerContext() throws SSLException {
    try {
      return SslContextBuilder.forServer(stream(certChainPem), stream(privateKeyPem))
          .sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3", "TLSv1.2")
          .build();
    } catch (IllegalArgumentException e) {
      throw new SSLException("unusable certificate or key: " + e.getMessage(), e);
    }
  }

  private static ByteArrayInputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }

  @Override
  public String toString() {
    // Never log the key.
    return "TlsMaterial[certChain=" + certChainPem.length() + " chars, key=<redacted>]";
  }
}
