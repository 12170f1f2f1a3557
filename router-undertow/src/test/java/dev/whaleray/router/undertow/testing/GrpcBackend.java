package dev.whaleray.router.undertow.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A real grpc-java server (Netty, plaintext: HTTP/2 with prior knowledge, "h2c") on 127.0.0.1 and
 * an ephemeral port, for tests. No protobuf: the messages are UTF-8 strings ({@link #UTF8}) and the
 * methods are described by hand. Service {@value #SERVICE}:
 *
 * <ul>
 *   <li>{@code Unary}: answers {@code echo:REQUEST}, with response header {@code x-backend: NAME}
 *       and trailer {@code x-trailer: kept};
 *   <li>{@code Fail} (unary): no message; status {@code INVALID_ARGUMENT}, description {@code bad
 *       input: REQUEST}, trailer {@code x-reason: failing}. No header was sent, so grpc-java
 *       answers "trailers-only": one HEADERS frame with END_STREAM carrying {@code :status}, {@code
 *       content-type}, {@code grpc-status}, {@code grpc-message} and {@code x-reason};
 *   <li>{@code ServerStream}: request {@code N} gives N messages {@code 0} .. {@code N-1};
 *   <li>{@code Bidi}: answers each message as it arrives, upper-cased; completes when the client
 *       does.
 * </ul>
 *
 * Counts calls received per method ({@link #calls(String)}) and keeps the last call's request
 * headers and authority.
 */
public final class GrpcBackend implements AutoCloseable {
  /** The service's full name. */
  public static final String SERVICE = "test.Echo";

  /** Strings as UTF-8 messages. */
  public static final MethodDescriptor.Marshaller<String> UTF8 =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  public static final MethodDescriptor<String, String> UNARY = method("Unary", MethodType.UNARY);
  public static final MethodDescriptor<String, String> FAIL = method("Fail", MethodType.UNARY);
  public static final MethodDescriptor<String, String> SERVER_STREAM =
      method("ServerStream", MethodType.SERVER_STREAMING);
  public static final MethodDescriptor<String, String> BIDI =
      method("Bidi", MethodType.BIDI_STREAMING);

  public static final Metadata.Key<String> X_BACKEND = key("x-backend");
  public static final Metadata.Key<String> X_TRAILER = key("x-trailer");
  public static final Metadata.Key<String> X_REASON = key("x-reason");

  private final String name;
  private final Server server;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private volatile @Nullable Metadata lastHeaders;
  private volatile @Nullable String lastAuthority;

  private GrpcBackend(String name) throws IOException {
    this.name = name;
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(SERVICE)
            .addMethod(UNARY, this::unary)
            .addMethod(FAIL, ServerCalls.asyncUnaryCall(GrpcBackend::fail))
            .addMethod(SERVER_STREAM, ServerCalls.asyncServerStreamingCall(GrpcBackend::count))
            .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(GrpcBackend::upperCase))
            .build();
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(service, recorder()))
            .build()
            .start();
  }

  /** Starts a backend called {@code name} (its {@code x-backend} header). */
  public static GrpcBackend start(String name) throws IOException {
    return new GrpcBackend(name);
  }

  public int port() {
    return server.getPort();
  }

  /** {@code 127.0.0.1:PORT}. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  /** Calls received for {@code method} (bare name, e.g. {@code Unary}). */
  public int calls(String method) {
    AtomicInteger n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  /** Calls received, all methods. */
  public int calls() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** The last call's request headers (metadata), or null before the first call. */
  public @Nullable Metadata lastHeaders() {
    return lastHeaders;
  }

  /** The last call's {@code :authority}, or null before the first call. */
  public @Nullable String lastAuthority() {
    return lastAuthority;
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counts each call and keeps its request headers and authority. */
  private ServerInterceptor recorder() {
    return new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        calls
            .computeIfAbsent(
                call.getMethodDescriptor().getBareMethodName(), m -> new AtomicInteger())
            .incrementAndGet();
        lastHeaders = headers;
        lastAuthority = call.getAuthority();
        return next.startCall(call, headers);
      }
    };
  }

  /** Unary by hand, not by ServerCalls: it sets a response header and a trailer. */
  private ServerCall.Listener<String> unary(ServerCall<String, String> call, Metadata headers) {
    call.request(1);
    return new ServerCall.Listener<>() {
      private @Nullable String request;

      @Override
      public void onMessage(String message) {
        request = message;
      }

      @Override
      public void onHalfClose() {
        if (request == null) {
          call.close(Status.INTERNAL.withDescription("no request"), new Metadata());
          return;
        }
        Metadata responseHeaders = new Metadata();
        responseHeaders.put(X_BACKEND, name);
        call.sendHeaders(responseHeaders);
        call.sendMessage("echo:" + request);
        Metadata trailers = new Metadata();
        trailers.put(X_TRAILER, "kept");
        call.close(Status.OK, trailers);
      }
    };
  }

  private static void fail(String request, StreamObserver<String> response) {
    Metadata trailers = new Metadata();
    trailers.put(X_REASON, "failing");
    response.onError(
        Status.INVALID_ARGUMENT
            .withDescription("bad input: " + request)
            .asRuntimeException(trailers));
  }

  private static void count(String request, StreamObserver<String> response) {
    int n = Integer.parseInt(request.trim());
    for (int i = 0; i < n; i++) {
      response.onNext(Integer.toString(i));
    }
    response.onCompleted();
  }

  private static StreamObserver<String> upperCase(StreamObserver<String> response) {
    return new StreamObserver<>() {
      @Override
      public void onNext(String message) {
        response.onNext(message.toUpperCase(Locale.ROOT));
      }

      @Override
      public void onError(Throwable t) {
        // The client cancelled: nothing to answer.
      }

      @Override
      public void onCompleted() {
        response.onCompleted();
      }
    };
  }

  private static MethodDescriptor<String, String> method(String name, MethodType type) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(UTF8)
        .setResponseMarshaller(UTF8)
        .build();
  }

  private static Metadata.Key<String> key(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
