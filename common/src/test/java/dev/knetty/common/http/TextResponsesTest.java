package dev.knetty.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextResponsesTest {

  @Test
  void plainIsExactlyTheMessage() {
    FullHttpResponse r =
        TextResponses.plain(
            UnpooledByteBufAllocator.DEFAULT,
            HttpResponseStatus.GATEWAY_TIMEOUT,
            "request timeout");
    try {
      assertThat(r.status()).isEqualTo(HttpResponseStatus.GATEWAY_TIMEOUT);
      assertThat(r.content().toString(StandardCharsets.UTF_8)).isEqualTo("request timeout");
      assertThat(r.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
      assertThat(r.headers().getInt("content-length")).isEqualTo(15);
      assertThat(r.headers().contains("x-content-type-options")).isFalse();
    } finally {
      r.release();
    }
  }

  @Test
  void ofIsGoHttpError() {
    FullHttpResponse r =
        TextResponses.of(UnpooledByteBufAllocator.DEFAULT, HttpResponseStatus.BAD_GATEWAY, "x");
    try {
      assertThat(r.content().toString(StandardCharsets.UTF_8)).isEqualTo("x\n");
      assertThat(r.headers().get("x-content-type-options")).isEqualTo("nosniff");
    } finally {
      r.release();
    }
  }
}
