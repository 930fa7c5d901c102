package dev.knetty.common.kmp;

import static dev.knetty.common.kmp.KmpTesting.ACTIVATOR_POD;
import static dev.knetty.common.kmp.KmpTesting.AUTOSCALER_POD;
import static dev.knetty.common.kmp.KmpTesting.HELLO;
import static dev.knetty.common.kmp.KmpTesting.QP_POD;
import static dev.knetty.common.kmp.KmpTesting.T0;
import static dev.knetty.common.kmp.KmpTesting.WORLD;
import static dev.knetty.common.kmp.KmpTesting.batch;
import static dev.knetty.common.kmp.KmpTesting.decode;
import static dev.knetty.common.kmp.KmpTesting.encode;
import static dev.knetty.common.kmp.KmpTesting.hello;
import static dev.knetty.common.kmp.KmpTesting.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.knetty.common.RevisionKey;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The codec on its own and in Netty's frame handlers (EmbeddedChannel). */
class KmpCodecTest {

  private static final int MAX = KmpProtocol.DEFAULT_MAX_FRAME_LENGTH;

  private static List<KmpMessage> everyMessage() {
    return List.of(
        hello(Role.ACTIVATOR, ACTIVATOR_POD, "10.0.0.9"),
        hello(Role.AUTOSCALER, AUTOSCALER_POD, ""),
        Heartbeat.INSTANCE,
        StatBatch.of(
            new Stat(HELLO, QP_POD, T0, 3.2, 1.1, 12, 4, 3600.5),
            new Stat(WORLD, QP_POD, T0 - 999_999, -0.0, Double.MIN_VALUE, 0, 0, Double.MAX_VALUE),
            new Stat(HELLO, ACTIVATOR_POD, Long.MAX_VALUE, 0, 0, 0, 0, 0)),
        new StatBatch(List.of()),
        new Decisions(
            List.of(
                new Decision(HELLO, -1, Integer.MIN_VALUE, 0, -1, 0),
                new Decision(WORLD, Integer.MAX_VALUE, Integer.MAX_VALUE, 3, 2, 1000)),
            List.of(new RevisionKey("other", "gone-00001"))),
        new Decisions(List.of(), List.of()),
        ErrorMessage.of(ErrorMessage.PROTOCOL_ERROR, "ünïcödé ☃ reason"));
  }

  @Test
  void everyMessageRoundTripsThroughTheHandlers() {
    EmbeddedChannel encoder = new EmbeddedChannel(new KmpFrameEncoder(new KmpEncoder(MAX, 100)));
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    for (KmpMessage message : everyMessage()) {
      encoder.writeOutbound(message);
      ByteBuf frames = encoder.readOutbound();
      decoder.writeInbound(frames);
      assertThat(read(decoder)).isEqualTo(message);
    }
    assertThat(read(decoder)).isNull();
    assertFalse(encoder.finishAndReleaseAll());
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void theEncoderWritesOneBufferPerMessage() {
    EmbeddedChannel encoder = new EmbeddedChannel(new KmpFrameEncoder(new KmpEncoder(MAX, 100)));
    encoder.writeOutbound(batch(100, 10, T0));
    assertThat(encoder.outboundMessages()).hasSize(1);
    ((ByteBuf) encoder.readOutbound()).release();
    assertFalse(encoder.finishAndReleaseAll());
  }

  @Test
  void framesDeliveredOneByteAtATimeDecodeTheSame() {
    byte[] bytes = encode(everyMessage());
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    for (byte b : bytes) {
      decoder.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    List<Object> decoded = new ArrayList<>(decoder.inboundMessages());
    assertThat(decoded).isEqualTo(everyMessage());
    decoder.inboundMessages().clear();
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void anUnknownFrameTypeIsSkipped() {
    byte[] hello = encode(List.of(hello(Role.QUEUE_PROXY, QP_POD, "")));
    byte[] unknown = ByteBufUtil.decodeHexDump("00000004" + "7f" + "010203");
    byte[] heartbeat = encode(List.of(Heartbeat.INSTANCE));
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    decoder.writeInbound(Unpooled.wrappedBuffer(hello, unknown, heartbeat));
    assertThat(read(decoder)).isInstanceOf(Hello.class);
    assertThat(read(decoder)).isEqualTo(Heartbeat.INSTANCE);
    assertThat(read(decoder)).isNull();
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void fieldsOfANewerMinorAreSkippedByTheHandlers() {
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    decoder.writeInbound(Unpooled.wrappedBuffer(vector("newer-minor")));
    assertThat(decoder.inboundMessages())
        .containsExactlyElementsOf(decode(vector("newer-minor-as-1.0")));
    decoder.inboundMessages().clear();
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void aBigBatchIsSplitIntoFramesWithinThePeersLimit() {
    KmpEncoder encoder = new KmpEncoder(MAX, 100_000);
    encoder.limitTo(Hello.of(Role.AUTOSCALER, AUTOSCALER_POD, "", 5000, 4096, 100_000));
    StatBatch big = batch(3000, 1000, T0);
    byte[] bytes = encode(encoder, List.of(big));

    ByteBuf in = Unpooled.wrappedBuffer(bytes);
    KmpDecoder decoder = new KmpDecoder(100_000);
    List<Stat> stats = new ArrayList<>();
    int frames = 0;
    while (in.isReadable()) {
      assertThat(in.getUnsignedInt(in.readerIndex()) + 4).isLessThanOrEqualTo(4096);
      stats.addAll(((StatBatch) decoder.decodeFrame(in, 4096)).stats());
      frames++;
    }
    in.release();
    assertThat(frames).isGreaterThan(1);
    assertThat(stats).isEqualTo(big.stats());
  }

  @Test
  void aFullDictionaryStartsOverAndTheReceiverFollows() {
    KmpEncoder encoder = new KmpEncoder(MAX, 2);
    KmpDecoder decoder = new KmpDecoder(2);
    List<StatBatch> batches = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      List<Stat> stats = new ArrayList<>();
      for (int r = 0; r < 5; r++) {
        stats.add(
            KmpTesting.stat(
                new RevisionKey("default", "rev-" + ((r * 3 + round) % 5)),
                "pod-" + (r % 3),
                T0 + round,
                r,
                round));
      }
      batches.add(new StatBatch(stats));
    }
    assertThat(decode(decoder, encode(encoder, batches))).isEqualTo(batches);
  }

  @Test
  void aReferenceToAnUnknownIdIsAProtocolError() {
    // A STAT record: revision id 5, pod id 0, delta 0, no fields.
    byte[] frame = statsFrame("10" + "04" + "05000000");
    assertThatThrownBy(() -> decode(frame))
        .isInstanceOfSatisfying(
            KmpProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(CloseReason.PROTOCOL_ERROR))
        .hasMessageContaining("unknown revision id 5");
  }

  @Test
  void definitionsMustComeInSequenceAndWithinTheLimit() {
    // DEFINE_POD id 1 on an empty dictionary.
    byte[] outOfSequence = statsFrame("02" + "03" + "01" + "0161");
    assertThatThrownBy(() -> decode(outOfSequence)).hasMessageContaining("out of sequence");
    // DEFINE_POD id 0 then 1, with a limit of 1 entry.
    byte[] overLimit = statsFrame("02" + "03" + "00" + "0161", "02" + "03" + "01" + "0162");
    assertThatThrownBy(() -> decode(new KmpDecoder(1), overLimit))
        .hasMessageContaining("exceeds the dictionary limit of 1");
  }

  @Test
  void aRecordOfTheOtherDirectionIsAProtocolError() {
    // A REVISION_REMOVED record in a STATS frame.
    assertThatThrownBy(() -> decode(statsFrame("21" + "01" + "00")))
        .hasMessage("record 0x21 in a STATS frame");
    // A STAT record in a DECISIONS frame.
    byte[] decisions =
        ByteBufUtil.decodeHexDump("0000000b" + "11" + "00000001" + "10" + "04" + "00000000");
    assertThatThrownBy(() -> decode(decisions)).hasMessage("record 0x10 in a DECISIONS frame");
  }

  @Test
  void countsAndLengthsAreCheckedBeforeAnythingIsAllocated() {
    // A record count of 2^31 - 1 in a tiny frame: no list of that size.
    assertThatThrownBy(
            () ->
                decode(
                    ByteBufUtil.decodeHexDump("0000000d" + "10" + "0000000000000000" + "7fffffff")))
        .hasMessageContaining("record count 2147483647 does not fit");
    // A pod name of 2^31 - 1 bytes: no string of that size.
    assertThatThrownBy(() -> decode(statsFrame("02" + "06" + "00" + "ffffffff07")))
        .hasMessageContaining("pod name of 2147483647 bytes exceeds the limit of 1024 bytes");
    // A record longer than the frame.
    assertThatThrownBy(() -> decode(statsFrame("02" + "ffffffff07")))
        .hasMessageContaining("overruns the frame");
    // A record whose fields run past its own length.
    assertThatThrownBy(() -> decode(statsFrame("02" + "01" + "00" + "0161")))
        .hasMessageContaining("pod name of 1 bytes overruns its record");
    // Truncated fixed-size fields.
    assertThatThrownBy(() -> decode(ByteBufUtil.decodeHexDump("00000003" + "10" + "0000")))
        .hasMessageContaining("STATS frame truncated");
  }

  @Test
  void valuesARecordRefusesAreProtocolErrors() {
    // A STAT with NaN average concurrency, after valid definitions.
    byte[] nan =
        statsFrame(
            "01" + "05" + "00" + "0161" + "0162",
            "02" + "03" + "00" + "0170",
            "10" + "0c" + "00" + "00" + "00" + "01" + "7ff8000000000000");
    assertThatThrownBy(() -> decode(nan))
        .isInstanceOf(KmpProtocolException.class)
        .hasMessageContaining("averageConcurrency: NaN");
    // A revision key that is not a DNS label.
    byte[] badKey = statsFrame("01" + "05" + "00" + "0141" + "0162");
    assertThatThrownBy(() -> decode(badKey)).hasMessageContaining("namespace: A");
  }

  @Test
  void aDifferentMajorInHelloIsUnsupportedAndNamesBothVersions() {
    byte[] bytes = encode(List.of(new Hello(2, 7, Role.QUEUE_PROXY, QP_POD, "", 5000, MAX, 10)));
    assertThatThrownBy(() -> decode(bytes))
        .isInstanceOfSatisfying(
            KmpProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(CloseReason.UNSUPPORTED_VERSION))
        .hasMessage("unsupported KMP version 2.7 (this side speaks 1.0)");
  }

  @Test
  void anOversizedFrameFailsOnItsLengthWithoutAllocatingIt() {
    AtomicInteger largest = new AtomicInteger();
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    decoder.config().setAllocator(recordingAllocator(largest));
    byte[] hello = encode(List.of(hello(Role.QUEUE_PROXY, QP_POD, "")));
    decoder.writeInbound(Unpooled.wrappedBuffer(hello));
    assertThat(read(decoder)).isInstanceOf(Hello.class);

    // Declares 1 GiB, sends 5 bytes of it.
    ByteBuf header = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump("40000000" + "1000000000"));
    assertThatThrownBy(() -> decoder.writeInbound(header))
        .isInstanceOfSatisfying(
            KmpProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(CloseReason.FRAME_TOO_LARGE))
        .hasMessage("frame of 1073741828 bytes exceeds the limit of 1048576 bytes");
    // What follows is discarded, not decoded.
    decoder.writeInbound(Unpooled.wrappedBuffer(encode(List.of(Heartbeat.INSTANCE))));
    assertThat(read(decoder)).isNull();
    assertThat(largest.get()).isLessThan(64 * 1024);
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void aFirstFrameWithoutTheMagicIsBadMagic() {
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    ByteBuf http =
        Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> decoder.writeInbound(http))
        .isInstanceOfSatisfying(
            KmpProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(CloseReason.BAD_MAGIC))
        .hasMessageContaining("bad magic 0x20485454");
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void statsBeforeHelloAreAProtocolError() {
    EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
    ByteBuf stats = Unpooled.wrappedBuffer(encode(List.of(batch(1, 1, T0))));
    assertThatThrownBy(() -> decoder.writeInbound(stats))
        .isInstanceOfSatisfying(
            KmpProtocolException.class,
            e -> assertThat(e.reason()).isEqualTo(CloseReason.PROTOCOL_ERROR))
        .hasMessage("first frame is STATS, not HELLO");
    assertFalse(decoder.finishAndReleaseAll());
  }

  @Test
  void garbageNeverGetsPastTheDecoder() {
    Random random = new Random(42);
    byte[] hello = encode(List.of(hello(Role.QUEUE_PROXY, QP_POD, "")));
    for (int round = 0; round < 200; round++) {
      byte[] garbage = new byte[1 + random.nextInt(300)];
      random.nextBytes(garbage);
      EmbeddedChannel decoder = new EmbeddedChannel(new KmpFrameDecoder(MAX, 100));
      decoder.writeInbound(Unpooled.wrappedBuffer(hello));
      decoder.readInbound();
      try {
        int offset = 0;
        while (offset < garbage.length) { // random chunking
          int n = Math.min(garbage.length - offset, 1 + random.nextInt(20));
          decoder.writeInbound(Unpooled.wrappedBuffer(garbage, offset, n));
          offset += n;
        }
      } catch (KmpProtocolException expected) {
        // Most garbage is refused; what is not must decode into valid messages.
      }
      for (Object message : decoder.inboundMessages()) {
        assertThat(message).isInstanceOf(KmpMessage.class);
      }
      decoder.inboundMessages().clear();
      assertFalse(decoder.finishAndReleaseAll());
    }
  }

  private static Object read(EmbeddedChannel channel) {
    return channel.readInbound();
  }

  /** A STATS frame (base 0) of the given records, each given as hex. */
  private static byte[] statsFrame(String... records) {
    String body =
        "10"
            + "0000000000000000"
            + String.format("%08x", records.length)
            + String.join("", records);
    return ByteBufUtil.decodeHexDump(String.format("%08x", body.length() / 2) + body);
  }

  /** Records the largest buffer anyone asked for. */
  private static ByteBufAllocator recordingAllocator(AtomicInteger largest) {
    return new AbstractByteBufAllocator(false) {
      @Override
      protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        largest.accumulateAndGet(initialCapacity, Math::max);
        return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
      }

      @Override
      protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return newHeapBuffer(initialCapacity, maxCapacity);
      }

      @Override
      public boolean isDirectBufferPooled() {
        return false;
      }
    };
  }
}
