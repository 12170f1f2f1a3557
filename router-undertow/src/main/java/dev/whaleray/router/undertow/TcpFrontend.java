package dev.whaleray.router.undertow;

import static dev.whaleray.router.settings.Durations.requirePositive;
import static java.util.Objects.requireNonNull;

import dev.whaleray.router.Route;
import dev.whaleray.router.core.RouterMetrics;
import dev.whaleray.router.undertow.internal.pool.Upstreams;
import dev.whaleray.router.undertow.internal.proxy.TcpMeters;
import dev.whaleray.router.undertow.internal.proxy.TcpProxy;
import io.undertow.Undertow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * A TCP listener bound to one service: each client connection is proxied as raw bytes to one of the
 * service's endpoints, picked through a {@link RouterHandler}'s clusters, so discovery, load
 * balancing, health checks and outlier ejection are the same as for HTTP. A refused connect tries
 * another endpoint not tried yet; a connection with no endpoint reachable is closed. Half-closes
 * pass through both ways; a connection idle both ways for the idle timeout is closed. Over {@link
 * Builder#maxConnections} open at once, a new connection is closed at once (and logged, at most
 * every 10 s).
 *
 * <p>With the handler's {@link RouterHandler.Builder#meterRegistry meter registry}, the listener
 * records {@code whaleray.tcp.connections} (accepted), {@code whaleray.tcp.connections.active},
 * {@code whaleray.tcp.connections.refused} (by {@code reason}: {@code limit}, {@code unavailable})
 * and {@code whaleray.tcp.bytes} (by {@code direction}: {@code in} from clients, {@code out} to
 * them), tagged with {@code service} and {@code port}; connect failures are the service's {@code
 * whaleray.upstream.errors}. Its meters leave the registry when it closes.
 *
 * <p>For SSH, databases and other protocols that are not HTTP. Runs on IO threads of its own,
 * beside a {@link RouterServer}. Thread-safe.
 */
public final class TcpFrontend implements AutoCloseable {
  private final XnioWorker worker;
  private final AcceptingChannel<? extends StreamConnection> channel;
  private final InetSocketAddress address;
  private final TcpProxy proxy;
  private final Upstreams upstreams;
  private final String service;
  private final @Nullable TcpMeters meters;

  private TcpFrontend(Builder b) throws IOException {
    this.service = b.service;
    Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
    this.worker =
        xnio.createWorker(
            OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, b.ioThreads)
                .set(Options.WORKER_TASK_CORE_THREADS, 1)
                .set(Options.WORKER_TASK_MAX_THREADS, 2)
                .set(Options.WORKER_NAME, b.name)
                .set(Options.TCP_NODELAY, true)
                .getMap());
    long connect = b.connectTimeout.toMillis();
    long idle = b.idleTimeout.toMillis();
    // Only the buffers, the connect timer and the tunnel idle timer of this are used.
    this.upstreams = new Upstreams(1, 0, idle, connect, idle, false, false, 0, 0, idle, 0, 1, idle);
    this.proxy =
        new TcpProxy(
            b.handler.clusterManager(),
            b.service,
            b.servicePort,
            upstreams,
            b.retries < 0 ? b.handler.retries() : b.retries,
            b.handler.discoveryTimeoutMillis(),
            b.maxConnections);
    ChannelListener<AcceptingChannel<StreamConnection>> accept =
        ChannelListeners.openListenerAdapter(proxy);
    OptionMap socketOptions =
        OptionMap.builder()
            .set(Options.WORKER_IO_THREADS, b.ioThreads)
            .set(Options.TCP_NODELAY, true)
            .set(Options.REUSE_ADDRESSES, true)
            .set(Options.BACKLOG, 1000)
            .getMap();
    try {
      this.channel =
          worker.createStreamConnectionServer(
              new InetSocketAddress(b.host, b.port), accept, socketOptions);
    } catch (IOException e) {
      worker.shutdownNow();
      throw new IOException(
          "cannot listen on "
              + b.host
              + ":"
              + b.port
              + " (tcp, service "
              + b.service
              + "): "
              + e.getMessage(),
          e);
    }
    this.address = channel.getLocalAddress(InetSocketAddress.class);
    RouterMetrics metrics = b.handler.clusterManager().metrics();
    this.meters =
        metrics == null
            ? null
            : new TcpMeters(metrics.registry(), service, address.getPort(), proxy);
    proxy.bound(address.getPort(), meters);
    channel.resumeAccepts();
  }

  /** A builder of a frontend on {@code handler}'s clusters for {@code service}. */
  public static Builder builder(RouterHandler handler, String service) {
    return new Builder(handler, service);
  }

  /** The bound address (the real port when built with port 0). */
  public InetSocketAddress address() {
    return address;
  }

  /** The bound port. */
  public int port() {
    return address.getPort();
  }

  /** The service the connections go to. */
  public String service() {
    return service;
  }

  /** Client connections proxied now. */
  public int openConnections() {
    return proxy.openConnections();
  }

  /** Client connections closed since the start because no endpoint could be reached. */
  public int failedConnections() {
    return proxy.failedConnections();
  }

  /**
   * Client connections closed at once since the start because {@link Builder#maxConnections} were
   * open.
   */
  public int refusedConnections() {
    return proxy.refusedConnections();
  }

  /** Stops listening and closes every connection at once; its meters leave the registry. */
  @Override
  public void close() {
    IoUtils.safeClose(channel);
    worker.shutdownNow();
    TcpMeters m = meters;
    if (m != null) {
      m.remove();
    }
  }

  /** Builds and starts a {@link TcpFrontend}. Not thread-safe. */
  public static final class Builder {
    private final RouterHandler handler;
    private final String service;
    private String host = "0.0.0.0";
    private int port;
    private int ioThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private String name = "whaleray-tcp";
    private Duration idleTimeout = Duration.ofSeconds(60);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private int retries = -1;
    private int maxConnections = 10_000;
    private @Nullable String servicePort;

    private Builder(RouterHandler handler, String service) {
      this.handler = requireNonNull(handler, "handler");
      requireNonNull(service, "service");
      this.service = requireNonNull(Route.path("/", service).service()); // checks the name
    }

    /** The address to bind; default {@code 0.0.0.0}. */
    public Builder host(String host) {
      this.host = requireNonNull(host, "host");
      return this;
    }

    /** The port to bind, 0 (the default) for an ephemeral one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
      }
      this.port = port;
      return this;
    }

    /**
     * The port of the service's endpoints to connect to: a port name ({@code grpc}) or a number
     * that is one of each endpoint's ports (never another); null (the default) is their default
     * port.
     *
     * @throws IllegalArgumentException when it is neither a port name nor 1-65535
     */
    public Builder servicePort(@Nullable String servicePort) {
      this.servicePort =
          servicePort == null ? null : dev.whaleray.router.Endpoint.checkPortReference(servicePort);
      return this;
    }

    /** IO threads of the frontend; default the processors, at most 4. */
    public Builder ioThreads(int ioThreads) {
      if (ioThreads < 1) {
        throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
      }
      this.ioThreads = ioThreads;
      return this;
    }

    /** The thread-name prefix. */
    public Builder name(String name) {
      this.name = requireNonNull(name, "name");
      return this;
    }

    /** A connection with no byte either way for this long is closed, both sides; default 60 s. */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = requirePositive("idleTimeout", timeout);
      return this;
    }

    /** How long a connect to an endpoint may take before another is tried; default 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = requirePositive("connectTimeout", timeout);
      return this;
    }

    /** Endpoints tried after a failed connect; default the handler's retries. */
    public Builder retries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("retries: " + retries + " (expected: >= 0)");
      }
      this.retries = retries;
      return this;
    }

    /**
     * Client connections proxied at once (1 to 1,000,000; default 10,000, as an HTTP listener's);
     * one more is closed as soon as it is accepted, before anything is read or any endpoint picked.
     * Each proxied connection holds two sockets: keep it under the process's file limit.
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1 || maxConnections > 1_000_000) {
        throw new IllegalArgumentException(
            "maxConnections: " + maxConnections + " (expected: 1 to 1000000)");
      }
      this.maxConnections = maxConnections;
      return this;
    }

    /** Binds the port and starts proxying. */
    public TcpFrontend start() {
      try {
        return new TcpFrontend(this);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
