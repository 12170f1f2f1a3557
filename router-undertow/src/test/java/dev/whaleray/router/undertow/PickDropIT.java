package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.lb.LbContext;
import dev.whaleray.router.lb.LoadBalancer;
import dev.whaleray.router.lb.LoadBalancerProvider;
import dev.whaleray.router.lb.PickResult;
import dev.whaleray.router.undertow.testing.TestBackend;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A policy can refuse a request on purpose (the SPI's drops, which circuit breaking and rate
 * limiting build on): the router answers 503 with the policy's reason or 429 with its Retry-After,
 * and never reaches a backend.
 */
class PickDropIT {
  static TestBackend backend;
  static TestDiscovery discovery;
  static RouterHandler handler;
  static RouterServer server;
  static final HttpClient CLIENT = HttpClient.newHttpClient();

  /** Drops requests whose path says so; else the first endpoint. */
  static final class Dropping implements LoadBalancerProvider {
    @Override
    public String name() {
      return "dropping";
    }

    @Override
    public LoadBalancer newLoadBalancer(LbContext context) {
      return endpoints -> {
        if (endpoints.isEmpty()) {
          return (request, tried) -> PickResult.none();
        }
        Endpoint e = endpoints.endpoints().get(0);
        PickResult first =
            PickResult.of(
                new dev.whaleray.router.lb.Upstream() {
                  @Override
                  public Endpoint endpoint() {
                    return e;
                  }

                  @Override
                  public void onStart() {}

                  @Override
                  public void onEnd(
                      dev.whaleray.router.lb.Outcome outcome, int status, long latencyNanos) {}

                  @Override
                  public int inFlight() {
                    return 0;
                  }
                });
        PickResult open = PickResult.drop("circuit open");
        PickResult limited = PickResult.rateLimited("rate limited", 7);
        return (request, tried) ->
            request.path().endsWith("/open")
                ? open
                : request.path().endsWith("/limited") ? limited : first;
      };
    }
  }

  @BeforeAll
  static void start() {
    backend = TestBackend.start("b");
    discovery = new TestDiscovery().set("svc", List.of(Endpoint.parse(backend.address())));
    handler = RouterHandler.builder().discovery(discovery).loadBalancer(new Dropping()).build();
    server = RouterServer.builder(handler).host("127.0.0.1").port(0).start();
  }

  @AfterAll
  static void stop() {
    server.close();
    handler.close();
    discovery.close();
    backend.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDropIsA503WithThePolicysReasonAndNoBackendRequest() throws Exception {
    int before = backend.requests();
    HttpResponse<String> r = get("/services/svc/open");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("\"error\":\"circuit open\"").contains("\"service\":\"svc\"");
    assertThat(backend.requests()).isEqualTo(before);
  }

  @Test
  void aRateLimitIsA429WithRetryAfter() throws Exception {
    int before = backend.requests();
    HttpResponse<String> r = get("/services/svc/limited");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(r.body()).contains("\"error\":\"rate limited\"");
    assertThat(backend.requests()).isEqualTo(before);
  }

  @Test
  void otherRequestsGoThrough() throws Exception {
    HttpResponse<String> r = get("/services/svc/fine");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("X-Backend")).hasValue("b");
  }
}
