package dev.whaleray.jmh;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.handlers.proxy.LoadBalancingProxyClient;
import io.undertow.server.handlers.proxy.ProxyHandler;
import java.net.URI;

/**
 * Undertow's own reverse proxy, as the proxy benchmark's baseline: {@code ProxyHandler} with the
 * stock {@code LoadBalancingProxyClient} (its default pool: 10 connections per IO thread, no wait
 * queue), mounted on {@code /services/demo} so the prefix is stripped like the other contenders.
 *
 * <p>{@code java -cp benchmarks.jar dev.whaleray.jmh.StockUndertowProxy PORT BACKEND_PORT}
 */
public final class StockUndertowProxy {
  private StockUndertowProxy() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int backendPort = Integer.parseInt(args[1]);
    LoadBalancingProxyClient client = new LoadBalancingProxyClient();
    client.addHost(URI.create("http://127.0.0.1:" + backendPort));
    ProxyHandler proxy = ProxyHandler.builder().setProxyClient(client).build();
    Undertow server =
        Undertow.builder()
            .addHttpListener(port, "127.0.0.1")
            .setHandler(Handlers.path().addPrefixPath("/services/demo", proxy))
            .build();
    server.start();
    System.out.println("Undertow ProxyHandler on 127.0.0.1:" + port + " -> " + backendPort);
  }
}
