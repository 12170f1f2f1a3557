package dev.whaleray.router.undertow.testing;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A gRPC client for {@link GrpcBackend}'s service, over plaintext HTTP/2 (h2c, prior knowledge) to
 * any {@code host:port}: the backend itself or a router in front of it. gRPC has no path prefix to
 * route by, so a router is told the service by {@code :authority} ({@link #connect(String, String,
 * Map)}); extra request headers (metadata) go on every call.
 *
 * <p>Each call has a {@value #DEADLINE_SECONDS} s deadline and never throws for a gRPC failure: it
 * returns a {@link Result} with the messages, the response headers, the trailers and the status
 * (e.g. {@code DEADLINE_EXCEEDED} or {@code UNAVAILABLE}).
 */
public final class GrpcCalls implements AutoCloseable {
  /** Each call's deadline. */
  public static final int DEADLINE_SECONDS = 5;

  private final ManagedChannel channel;
  private final Map<String, String> headers;

  private GrpcCalls(ManagedChannel channel, Map<String, String> headers) {
    this.channel = channel;
    this.headers = Map.copyOf(headers);
  }

  /** Calls {@code target} ({@code host:port}), its {@code :authority} being that target. */
  public static GrpcCalls connect(String target) {
    return connect(target, null, Map.of());
  }

  /**
   * Calls {@code target} ({@code host:port}) with {@code :authority} {@code authority} (null: the
   * target) and {@code headers} as request metadata on every call (lower-case ASCII names).
   */
  public static GrpcCalls connect(
      String target, @Nullable String authority, Map<String, String> headers) {
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target).usePlaintext();
    if (authority != null) {
      builder.overrideAuthority(authority);
    }
    return new GrpcCalls(builder.build(), headers);
  }

  /** The answer to one call. */
  public record Result(
      List<String> messages, @Nullable Metadata headers, Metadata trailers, Status status) {

    /** The single message of a unary call, or null if none came. */
    public @Nullable String value() {
      return messages.isEmpty() ? null : messages.get(0);
    }

    /** A response header, or null. {@link #headers} is null when the response was trailers-only. */
    public @Nullable String header(String name) {
      return headers == null ? null : headers.get(key(name));
    }

    /** A trailer, or null. In a trailers-only response the trailers hold every response field. */
    public @Nullable String trailer(String name) {
      return trailers.get(key(name));
    }
  }

  /**
   * {@code Unary}: expect {@code echo:REQUEST}, {@code x-backend} and trailer {@code x-trailer}.
   */
  public Result unary(String request) throws InterruptedException {
    return call(GrpcBackend.UNARY, List.of(request), false);
  }

  /**
   * {@code Fail}: expect {@code INVALID_ARGUMENT}, {@code bad input: REQUEST}, {@code x-reason}.
   */
  public Result fail(String request) throws InterruptedException {
    return call(GrpcBackend.FAIL, List.of(request), false);
  }

  /** {@code ServerStream}: expect {@code 0} .. {@code n-1}. */
  public Result serverStream(int n) throws InterruptedException {
    return call(GrpcBackend.SERVER_STREAM, List.of(Integer.toString(n)), false);
  }

  /**
   * {@code Bidi}, in lock-step: each request is sent only once the answer to the previous one has
   * come, so a proxy that holds the request stream back until it ends fails it (by deadline).
   */
  public Result bidi(List<String> requests) throws InterruptedException {
    return call(GrpcBackend.BIDI, requests, true);
  }

  /** The channel, for calls of one's own. */
  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Result call(
      MethodDescriptor<String, String> method, List<String> requests, boolean lockStep)
      throws InterruptedException {
    ClientCall<String, String> call =
        channel.newCall(
            method, CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
    List<String> messages = new ArrayList<>();
    Semaphore arrived = new Semaphore(0);
    CompletableFuture<Result> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          private @Nullable Metadata responseHeaders;

          @Override
          public void onHeaders(Metadata h) {
            responseHeaders = h;
          }

          @Override
          public void onMessage(String message) {
            synchronized (messages) {
              messages.add(message);
            }
            arrived.release();
            call.request(1);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            List<String> all;
            synchronized (messages) {
              all = List.copyOf(messages);
            }
            closed.complete(new Result(all, responseHeaders, trailers, status));
            arrived.release(requests.size() + 1); // a lock-step sender waits no longer
          }
        },
        requestHeaders());
    call.request(1);
    for (String request : requests) {
      call.sendMessage(request);
      if (lockStep && !arrived.tryAcquire(DEADLINE_SECONDS + 1, TimeUnit.SECONDS)) {
        break; // the deadline has closed the call by now
      }
    }
    call.halfClose();
    try {
      return closed.get(DEADLINE_SECONDS + 5, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      call.cancel("no close", e);
      throw new IllegalStateException(method.getFullMethodName() + " did not close", e);
    }
  }

  private Metadata requestHeaders() {
    Metadata metadata = new Metadata();
    headers.forEach((name, value) -> metadata.put(key(name), value));
    return metadata;
  }

  private static Metadata.Key<String> key(String name) {
    return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
  }
}
