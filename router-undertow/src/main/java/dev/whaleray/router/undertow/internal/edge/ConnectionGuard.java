package dev.whaleray.router.undertow.internal.edge;

import dev.whaleray.router.undertow.internal.http1.Http1Listener;
import dev.whaleray.router.undertow.internal.pool.TimeoutList;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * A listener's guard against clients that hold connections without sending requests: it caps the
 * connections open at once (in all, and per client address), and answers 408 and closes a
 * connection whose request head does not arrive whole within the client header timeout of its first
 * byte (slowloris), where Undertow would only close it. Idle keep-alive connections are not its
 * business (Undertow's idle timeout closes them silently, as nginx does).
 *
 * <p>Thread-safe: counters are atomic; each connection's head timer lives on its IO thread.
 */
public final class ConnectionGuard implements ChannelListener<StreamConnection> {
  private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());
  private static final AttachmentKey<HeadTimer> TIMER = AttachmentKey.create(HeadTimer.class);

  private final ChannelListener<StreamConnection> delegate;
  private final int maxConnections;
  private final int maxConnectionsPerClient;
  private final long headerTimeoutMillis;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<XnioIoThread, TimeoutList> timeouts = new ConcurrentHashMap<>();

  public ConnectionGuard(
      ChannelListener<StreamConnection> delegate,
      int maxConnections,
      int maxConnectionsPerClient,
      long headerTimeoutMillis) {
    this.delegate = delegate;
    this.maxConnections = maxConnections;
    this.maxConnectionsPerClient = maxConnectionsPerClient;
    this.headerTimeoutMillis = headerTimeoutMillis;
  }

  /** Connections open now. */
  public int open() {
    return open.get();
  }

  @Override
  public void handleEvent(StreamConnection channel) {
    InetAddress client = clientOf(channel);
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      refuse(channel, "too many connections (limit: " + maxConnections + ")");
      return;
    }
    boolean counted = false;
    if (maxConnectionsPerClient > 0 && client != null) {
      counted = true;
      // merge() and computeIfPresent(): a count and its removal at zero are atomic per address.
      int mine = perClient.merge(client, 1, Integer::sum);
      if (mine > maxConnectionsPerClient) {
        release(client);
        open.decrementAndGet();
        refuse(
            channel,
            "too many connections from "
                + client.getHostAddress()
                + " (limit: "
                + maxConnectionsPerClient
                + ")");
        return;
      }
    }
    HeadTimer timer = new HeadTimer(channel.getSourceChannel().getConduit(), channel);
    channel.getSourceChannel().setConduit(timer);
    boolean perClientCounted = counted;
    // Set before Undertow's: XNIO merges close listeners (the first set runs first), so the counts
    // go down even if Undertow's close handling throws. Calling Undertow's from here too, as this
    // once did, ran its close handling and every ServerConnection close listener twice.
    channel.setCloseListener(
        c -> {
          open.decrementAndGet();
          if (perClientCounted) {
            release(client);
          }
          timer.closed();
        });
    delegate.handleEvent(channel);
  }

  private void release(@Nullable InetAddress client) {
    if (client != null) {
      perClient.computeIfPresent(client, (a, n) -> n <= 1 ? null : n - 1);
    }
  }

  private static @Nullable InetAddress clientOf(StreamConnection channel) {
    InetSocketAddress peer = channel.getPeerAddress(InetSocketAddress.class);
    return peer == null ? null : peer.getAddress();
  }

  /** Answers 503 on a connection over the limits and closes it (best effort, never blocks). */
  private static void refuse(StreamConnection channel, String error) {
    LOG.log(System.Logger.Level.DEBUG, () -> "refused a connection: " + error);
    writeAndClose(channel, 503, "Service Unavailable", error);
  }

  static void writeAndClose(StreamConnection channel, int status, String reason, String error) {
    byte[] body = JsonErrors.body(status, error, null);
    String head =
        "HTTP/1.1 "
            + status
            + " "
            + reason
            + "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    ByteBuffer b = ByteBuffer.allocate(head.length() + body.length);
    b.put(head.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
    StreamSinkChannel sink = channel.getSinkChannel();
    try {
      sink.write(b);
      sink.flush();
    } catch (IOException e) {
      // the client is gone anyway
    }
    IoUtils.safeClose(channel);
  }

  /** Marks that a request head arrived whole on the exchange's connection. */
  public void requestStarted(HttpServerExchange exchange) {
    HeadTimer t = timerOf(exchange);
    if (t != null) {
      t.inRequest = true;
      t.cancel();
    }
  }

  /**
   * Marks that the exchange is over: the connection's next bytes start a new head, or have started
   * it already (a pipelined head read with the last request). After a 101 the connection is a
   * tunnel and no head is timed again.
   */
  public void requestEnded(HttpServerExchange exchange) {
    HeadTimer t = timerOf(exchange);
    if (t == null) {
      return;
    }
    if (exchange.getStatusCode() == 101) {
      t.upgraded = true;
      t.cancel();
      return;
    }
    t.inRequest = false;
    if (((AbstractServerConnection) exchange.getConnection()).getExtraBytes() != null) {
      t.bytesArrived();
    }
  }

  private static @Nullable HeadTimer timerOf(HttpServerExchange exchange) {
    if (!Http1Listener.isHttp1(exchange.getConnection())) {
      return null;
    }
    AbstractServerConnection c = (AbstractServerConnection) exchange.getConnection();
    HeadTimer t = c.getAttachment(TIMER);
    if (t == null) {
      // First request on the connection: find the timer under Undertow's conduits, once.
      StreamSourceConduit s = c.getChannel().getSourceChannel().getConduit();
      for (int depth = 0; depth < 16 && s != null; depth++) {
        if (s instanceof HeadTimer) {
          t = (HeadTimer) s;
          c.putAttachment(TIMER, t);
          break;
        }
        s = Conduits.below(s);
      }
    }
    return t;
  }

  /**
   * The bottom read conduit of a connection: the first bytes of a request head arm the client
   * header timeout; the handler's start disarms it.
   */
  final class HeadTimer extends AbstractStreamSourceConduit<StreamSourceConduit> {
    private final StreamConnection channel;
    private final TimeoutList list;
    private final TimeoutList.Node node =
        new TimeoutList.Node() {
          @Override
          protected void expired() {
            headTimedOut();
          }
        };
    volatile boolean inRequest;
    volatile boolean upgraded;
    private volatile boolean closed;

    HeadTimer(StreamSourceConduit next, StreamConnection channel) {
      super(next);
      this.channel = channel;
      // Looked up once per connection, not once per request head.
      this.list =
          timeouts.computeIfAbsent(
              channel.getIoThread(), t -> new TimeoutList(t, headerTimeoutMillis));
    }

    void bytesArrived() {
      if (inRequest || closed || upgraded) {
        return;
      }
      XnioIoThread io = channel.getIoThread();
      if (Thread.currentThread() != io) {
        // A worker thread parsing a pipelined request: the list belongs to the IO thread.
        io.execute(this::bytesArrived);
        return;
      }
      if (!node.isArmed()) {
        list.add(node);
      }
    }

    void cancel() {
      XnioIoThread io = channel.getIoThread();
      if (Thread.currentThread() == io) {
        node.cancel();
      } else {
        io.execute(node::cancel);
      }
    }

    void closed() {
      closed = true;
      cancel();
    }

    private void headTimedOut() {
      if (inRequest || closed || upgraded) {
        return;
      }
      LOG.log(
          System.Logger.Level.DEBUG,
          () -> "request head not complete after " + headerTimeoutMillis + " ms: 408");
      writeAndClose(
          channel,
          408,
          "Request Timeout",
          "request head not complete within " + headerTimeoutMillis + " ms");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = next.read(dst);
      if (n > 0) {
        bytesArrived();
      }
      return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
      long n = next.read(dsts, offs, len);
      if (n > 0) {
        bytesArrived();
      }
      return n;
    }

    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
      long n = next.transferTo(position, count, target);
      if (n > 0) {
        bytesArrived();
      }
      return n;
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target)
        throws IOException {
      long n = next.transferTo(count, throughBuffer, target);
      if (n > 0) {
        bytesArrived();
      }
      return n;
    }
  }
}
