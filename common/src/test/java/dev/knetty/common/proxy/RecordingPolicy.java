package dev.knetty.common.proxy;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/** A policy that forwards to one target (or does what a test says) and records outcomes. */
class RecordingPolicy implements ProxyPolicy {

  volatile UpstreamTarget target;
  volatile Consumer<ProxyExchange> onRequest = ex -> ex.forward(target);
  volatile boolean forwardedShim;
  final BlockingQueue<ProxyExchange> exchanges = new LinkedBlockingQueue<>();
  final List<ExchangeOutcome> outcomes = new CopyOnWriteArrayList<>();

  RecordingPolicy(UpstreamTarget target) {
    this.target = target;
  }

  @Override
  public void onRequest(ProxyExchange exchange) {
    exchanges.add(exchange);
    onRequest.accept(exchange);
  }

  @Override
  public void onComplete(ProxyExchange exchange, ExchangeOutcome outcome) {
    outcomes.add(outcome);
  }

  @Override
  public boolean synthesizeForwarded() {
    return forwardedShim;
  }
}
