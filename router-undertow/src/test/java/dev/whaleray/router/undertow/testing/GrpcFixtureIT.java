package dev.whaleray.router.undertow.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Status;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcCalls} straight to a {@link GrpcBackend}, no router: what each method answers, so that
 * the same calls through the router can be held to it.
 */
class GrpcFixtureIT {
  private static GrpcBackend backend;
  private static GrpcCalls calls;

  @BeforeAll
  static void start() throws Exception {
    backend = GrpcBackend.start("g1");
    calls = GrpcCalls.connect(backend.address());
  }

  @AfterAll
  static void stop() throws Exception {
    calls.close();
    backend.close();
  }

  @Test
  void unaryKeepsValueHeaderAndTrailer() throws Exception {
    int before = backend.calls("Unary");
    GrpcCalls.Result r = calls.unary("hi");
    assertThat(r.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(r.messages()).containsExactly("echo:hi");
    assertThat(r.header("x-backend")).isEqualTo("g1");
    assertThat(r.header("content-type")).isEqualTo("application/grpc");
    assertThat(r.trailer("x-trailer")).isEqualTo("kept");
    assertThat(r.header("x-trailer")).isNull();
    assertThat(backend.calls("Unary")).isEqualTo(before + 1);
  }

  @Test
  void failureStatusDescriptionAndTrailerReachTheClient() throws Exception {
    GrpcCalls.Result r = calls.fail("x1");
    System.out.println(
        "Fail: " + r.status() + ", headers " + r.headers() + ", trailers " + r.trailers());
    assertThat(r.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(r.status().getDescription()).isEqualTo("bad input: x1");
    assertThat(r.trailer("x-reason")).isEqualTo("failing");
    assertThat(r.messages()).isEmpty();
    // Trailers-only: one HEADERS frame, so grpc-java reports no headers, only trailers.
    assertThat(r.headers()).isNull();
    assertThat(backend.calls("Fail")).isPositive();
  }

  @Test
  void serverStreamingGivesEachMessageThenOk() throws Exception {
    GrpcCalls.Result r = calls.serverStream(5);
    assertThat(r.messages()).containsExactly("0", "1", "2", "3", "4");
    assertThat(r.status().getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void bidiAnswersEachMessageAsItArrives() throws Exception {
    GrpcCalls.Result r = calls.bidi(List.of("a", "b", "c"));
    assertThat(r.messages())
        .as("lock-step answers (%s)", r.status())
        .containsExactly("A", "B", "C");
    assertThat(r.status().getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void authorityAndMetadataReachTheBackend() throws Exception {
    try (GrpcCalls other =
        GrpcCalls.connect(backend.address(), "echo.internal", Map.of("x-tenant", "t7"))) {
      assertThat(other.unary("m").value()).isEqualTo("echo:m");
    }
    assertThat(backend.lastAuthority()).isEqualTo("echo.internal");
    Metadata headers = backend.lastHeaders();
    System.out.println("request metadata at the backend: " + headers);
    assertThat(headers).isNotNull();
    assertThat(headers.get(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("t7");
  }

  @Test
  void noServerIsAStatusNotAnException() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (GrpcCalls none = GrpcCalls.connect("127.0.0.1:" + port)) {
      assertThat(none.unary("x").status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
  }
}
