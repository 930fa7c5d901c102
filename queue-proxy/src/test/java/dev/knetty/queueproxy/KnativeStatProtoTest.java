package dev.knetty.queueproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import org.junit.jupiter.api.Test;

/** Knative's Stat protobuf, encoded by hand. */
class KnativeStatProtoTest {

  @Test
  void theWireFormatByteForByte() {
    byte[] bytes = KnativeStatProto.encode("p", 1.0, 0, 2.5, 0, 3.0);

    // 0a 01 'p' | 11 <1.0 LE> | 21 <2.5 LE> | 31 <3.0 LE>; zeros omitted.
    assertThat(ByteBufUtil.hexDump(bytes))
        .isEqualTo("0a0170" + "11000000000000f03f" + "210000000000000440" + "310000000000000840");
  }

  @Test
  void everyFieldDecodesBack() {
    StatDecoder s = StatDecoder.decode(KnativeStatProto.encode("pod-a", 1.25, 0.5, 10, 4, 123.456));

    assertThat(s).isEqualTo(new StatDecoder("pod-a", 1.25, 0.5, 10, 4, 123.456, 0));
  }

  @Test
  void beforeTheFirstReportOnlyThePodName() {
    assertThat(StatDecoder.decode(KnativeStatProto.podOnly("pod-a")))
        .isEqualTo(new StatDecoder("pod-a", 0, 0, 0, 0, 0, 0));
    assertThat(KnativeStatProto.podOnly("pod-a")).hasSize(7);
  }

  @Test
  void negativeZeroIsOmittedLikeGogoProtobuf() {
    assertThat(KnativeStatProto.encode("p", -0.0, -0.0, -0.0, -0.0, -0.0)).hasSize(3);
  }

  @Test
  void theLongestPodNameFitsKnativesScrapeCap() {
    String pod = "a".repeat(253);
    byte[] bytes = KnativeStatProto.encode(pod, 1, 1, 1, 1, 1);

    assertThat(bytes.length).isEqualTo(301).isLessThanOrEqualTo(KnativeStatProto.MAX_SCRAPE_BYTES);
    // A two-byte length varint: 253 = 0xfd 0x01.
    assertThat(bytes[1]).isEqualTo((byte) 0xfd);
    assertThat(bytes[2]).isEqualTo((byte) 0x01);
    assertThat(StatDecoder.decode(bytes).podName()).isEqualTo(pod);
  }
}
