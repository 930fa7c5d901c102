package dev.knetty.autoscaler.kubernetes.webhook;

import java.io.IOException;
import java.security.GeneralSecurityException;

/** Where the webhook's serving certificate comes from; asked at start and on every refresh. */
interface CertificateSource {

  /**
   * The current certificate, key and CA.
   *
   * @throws IOException if the files or the Kubernetes API cannot be read
   * @throws GeneralSecurityException if the material is unusable and cannot be replaced
   */
  TlsMaterial load() throws IOException, GeneralSecurityException;
}
