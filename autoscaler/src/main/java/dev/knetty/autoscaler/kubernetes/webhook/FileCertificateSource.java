package dev.knetty.autoscaler.kubernetes.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * PEM files mounted from a Secret, e.g. by cert-manager ({@code tls.crt}, {@code tls.key}). Read
 * anew on every load, so a rotated Secret is picked up (kubelet swaps the files atomically).
 */
final class FileCertificateSource implements CertificateSource {

  private final Path certFile;
  private final Path keyFile;

  FileCertificateSource(Path certFile, Path keyFile) {
    this.certFile = Objects.requireNonNull(certFile, "certFile");
    this.keyFile = Objects.requireNonNull(keyFile, "keyFile");
  }

  @Override
  public TlsMaterial load() throws IOException, GeneralSecurityException {
    String chain = Files.readString(certFile, StandardCharsets.US_ASCII);
    if (Certificates.parseCertificates(chain).isEmpty()) {
      throw new GeneralSecurityException(certFile + ": no certificate (expected: PEM)");
    }
    return new TlsMaterial(chain, Files.readString(keyFile, StandardCharsets.US_ASCII), "");
  }
}
