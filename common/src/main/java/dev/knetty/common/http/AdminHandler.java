package dev.knetty.common.http;

import io.netty.handler.codec.http.FullHttpResponse;
import java.util.concurrent.CompletionStage;

/**
 * Answers one route of an {@link AdminHttpServer}.
 *
 * <p>Called on the connection's event loop: it must not block. Work that may take long (a scrape,
 * waiting for a drain) completes the stage later from wherever it runs; the server writes the
 * response on the connection's event loop. The response is written and released by the server, also
 * when the client is gone by then. A handler that throws, or whose stage fails, gets a 500.
 */
@FunctionalInterface
public interface AdminHandler {

  /**
   * The response to {@code request}, now or later. Allocate it from {@link AdminRequest#alloc()}.
   */
  CompletionStage<FullHttpResponse> handle(AdminRequest request) throws Exception;
}
