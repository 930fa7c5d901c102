package dev.knetty.common.kmp;

import dev.knetty.common.RevisionKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Shared fixtures of the KMP tests. */
final class KmpTesting {

  private KmpTesting() {}

  static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final String QP_POD = "hello-00001-deployment-7d9f8c-x2k4m";
  static final String ACTIVATOR_POD = "activator-6d9c7b5f4-q8x2m";
  static final String AUTOSCALER_POD = "autoscaler-5f7c9d8b6-xk2lp";
  static final RevisionKey HELLO = new RevisionKey("default", "hello-00001");
  static final RevisionKey WORLD = new RevisionKey("default", "world-00002");

  static Hello hello(Role role, String pod, String ip) {
    return Hello.of(role, pod, ip, 5000, KmpProtocol.DEFAULT_MAX_FRAME_LENGTH, 65_536);
  }

  static Stat stat(RevisionKey revision, String pod, long ts, double concurrency, double count) {
    return new Stat(revision, pod, ts, concurrency, 0, count, 0, 0);
  }

  /** A batch of {@code n} stats over {@code revisions} distinct revisions, marked by {@code ts}. */
  static StatBatch batch(int n, int revisions, long ts) {
    List<Stat> stats = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      stats.add(
          new Stat(
              new RevisionKey("default", "rev-" + (i % revisions)),
              ACTIVATOR_POD,
              ts,
              i * 0.5,
              i % 3,
              i,
              0,
              12.5));
    }
    return new StatBatch(stats);
  }

  /** Reads a golden vector: hex pairs, {@code #} comments and whitespace. */
  static byte[] vector(String name) {
    try (InputStream in = KmpTesting.class.getResourceAsStream("/kmp/" + name + ".hex")) {
      if (in == null) {
        throw new IllegalArgumentException("no vector " + name);
      }
      return parseHex(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Hex pairs, with {@code #} comments to the end of a line and whitespace ignored. */
  static byte[] parseHex(String text) {
    StringBuilder hex = new StringBuilder();
    for (String line : text.split("\n")) {
      int comment = line.indexOf('#');
      hex.append((comment >= 0 ? line.substring(0, comment) : line).replaceAll("\\s", ""));
    }
    return ByteBufUtil.decodeHexDump(hex);
  }

  /** Encodes {@code messages} with one encoder (one connection direction) into bytes. */
  static byte[] encode(List<? extends KmpMessage> messages) {
    return encode(new KmpEncoder(KmpProtocol.DEFAULT_MAX_FRAME_LENGTH, 65_536), messages);
  }

  static byte[] encode(KmpEncoder encoder, List<? extends KmpMessage> messages) {
    ByteBuf out = Unpooled.buffer();
    try {
      for (KmpMessage message : messages) {
        encoder.encode(message, out);
      }
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
  }

  /** Decodes every frame of {@code bytes} with one decoder; skipped frames are left out. */
  static List<KmpMessage> decode(byte[] bytes) {
    return decode(new KmpDecoder(65_536), bytes);
  }

  static List<KmpMessage> decode(KmpDecoder decoder, byte[] bytes) {
    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    try {
      List<KmpMessage> messages = new ArrayList<>();
      while (in.isReadable()) {
        KmpMessage message = decoder.decodeFrame(in, KmpProtocol.DEFAULT_MAX_FRAME_LENGTH);
        if (message != null) {
          messages.add(message);
        }
      }
      return messages;
    } finally {
      in.release();
    }
  }

  static String hex(byte[] bytes) {
    return ByteBufUtil.hexDump(bytes);
  }
}
