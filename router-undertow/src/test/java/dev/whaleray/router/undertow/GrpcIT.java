package dev.whaleray.router.undertow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.Endpoint;
import dev.whaleray.router.Route;
import dev.whaleray.router.Router;
import dev.whaleray.router.undertow.testing.GrpcBackend;
import dev.whaleray.router.undertow.testing.GrpcCalls;
import dev.whaleray.router.undertow.testing.TestDiscovery;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * gRPC end to end through the router: a grpc-java client in plaintext (h2c prior knowledge) to the
 * router, routed by {@code :authority}, and the router's h2c upstream to real grpc-java servers.
 * Unary, server-streaming and bidirectional calls keep their headers, messages, status and
 * trailers; a failing call's status and description reach the client.
 */
class GrpcIT {

  @Test
  void unaryStreamingAndBidiCallsPassWithStatusAndTrailers() throws Exception {
    try (GrpcBackend one = GrpcBackend.start("one");
        GrpcBackend two = GrpcBackend.start("two")) {
      TestDiscovery discovery =
          new TestDiscovery()
              .set("echo", List.of(Endpoint.parse(one.address()), Endpoint.parse(two.address())));
      try (RouterHandler handler =
              RouterHandler.builder()
                  .discovery(discovery)
                  .router(Router.builder().route(Route.host("{service}.grpc.test")).build())
                  .serviceUpstreams(Map.of("echo", UpstreamOptions.h2c()))
                  .build();
          RouterServer server =
              RouterServer.builder(handler).host("127.0.0.1").port(0).ioThreads(2).start()) {
        GrpcCalls calls =
            GrpcCalls.connect("127.0.0.1:" + server.port(), "echo.grpc.test", Map.of());
        try {
          GrpcCalls.Result unary = calls.unary("hi");
          assertThat(unary.status().getCode()).isEqualTo(Status.Code.OK);
          assertThat(unary.value()).isEqualTo("echo:hi");
          assertThat(unary.header("x-backend")).isIn("one", "two");
          assertThat(unary.trailer("x-trailer")).isEqualTo("kept");

          // A failing call: its status, description and trailer reach the client.
          GrpcCalls.Result fail = calls.fail("oops");
          assertThat(fail.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(fail.status().getDescription()).isEqualTo("bad input: oops");
          assertThat(fail.trailer("x-reason")).isEqualTo("failing");

          GrpcCalls.Result stream = calls.serverStream(5);
          assertThat(stream.status().getCode()).isEqualTo(Status.Code.OK);
          assertThat(stream.messages()).containsExactly("0", "1", "2", "3", "4");

          // Lock-step: each message is answered before the next is sent, so a router holding the
          // request stream back until its end would fail this by deadline.
          GrpcCalls.Result bidi = calls.bidi(List.of("a", "b", "c"));
          assertThat(bidi.status().getCode())
              .as(bidi.status().toString())
              .isEqualTo(Status.Code.OK);
          assertThat(bidi.messages()).containsExactly("A", "B", "C");

          for (int i = 0; i < 20; i++) {
            assertThat(calls.unary("n" + i).value()).isEqualTo("echo:n" + i);
          }
        } finally {
          calls.close();
        }
        System.out.printf(
            "gRPC through the router: backend one %d calls, two %d calls%n",
            one.calls(), two.calls());
        // Round-robin over the two servers, call by call (one HTTP/2 connection each way).
        assertThat(one.calls("Unary")).isGreaterThanOrEqualTo(5);
        assertThat(two.calls("Unary")).isGreaterThanOrEqualTo(5);
        assertThat(one.calls() + two.calls()).isEqualTo(24);
        // preserveHost is off: the backend is addressed as itself, the name in X-Forwarded-Host.
        assertThat(one.lastAuthority()).isEqualTo(one.address());
      } finally {
        discovery.close();
      }
    }
  }
}
