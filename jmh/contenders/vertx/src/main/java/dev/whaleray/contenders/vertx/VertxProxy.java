package dev.whaleray.contenders.vertx;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyRequest;
import io.vertx.httpproxy.ProxyResponse;

/**
 * Vert.x's reverse proxy ({@code vertx-http-proxy}) as a proxy-benchmark contender, a choice users
 * would make instead of WhaleRay: {@code /services/demo/**} goes to one backend with the prefix
 * stripped, over pooled keep-alive upstream connections, like every other contender.
 *
 * <p>{@code java -jar vertx-contender.jar PORT BACKEND_PORT}
 */
public final class VertxProxy {
  private static final String PREFIX = "/services/demo";

  private VertxProxy() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int backendPort = Integer.parseInt(args[1]);
    // One event loop: the benchmark pins the proxy to one core (taskset -c 0) and runs nginx and
    // HAProxy with one worker/thread; Vert.x's default (2 x cores) would only add loops contending
    // for that core. Server and client share this loop, so a request never changes threads.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    // Keep-alive upstream (the default, stated; idle connections close after 60 s, below the
    // backend's 75 s), with room for one connection per client connection at the benchmark's
    // largest count (256); Vert.x 5's default pool is 5 (PoolOptions.DEFAULT_MAX_POOL_SIZE).
    HttpClient client =
        vertx
            .httpClientBuilder()
            .with(new HttpClientOptions().setKeepAlive(true).setPipelining(false))
            .with(new PoolOptions().setHttp1MaxSize(256))
            .build();
    HttpProxy proxy = HttpProxy.reverseProxy(client);
    proxy.origin(backendPort, "127.0.0.1");
    proxy.addInterceptor(new StripPrefix());
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  String path = request.path();
                  if (path.equals(PREFIX) || path.startsWith(PREFIX + "/")) {
                    proxy.handle(request);
                  } else {
                    request.response().setStatusCode(404).end();
                  }
                });
    server
        .listen(port, "127.0.0.1")
        .onSuccess(
            s ->
                System.out.println(
                    "Vert.x HttpProxy on 127.0.0.1:" + s.actualPort() + " -> " + backendPort))
        .onFailure(
            e -> {
              e.printStackTrace();
              System.exit(1);
            });
  }

  /** Removes {@code /services/demo} from the request URI, as the other contenders do. */
  private static final class StripPrefix implements ProxyInterceptor {
    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
      ProxyRequest request = context.request();
      String uri = request.getURI();
      if (uri.startsWith(PREFIX)) {
        String rest = uri.substring(PREFIX.length());
        request.setURI(rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest);
      }
      return context.sendRequest();
    }
  }
}
