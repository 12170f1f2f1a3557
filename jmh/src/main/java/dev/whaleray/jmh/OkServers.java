package dev.whaleray.jmh;

import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.xnio.ChannelListener;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * HTTP/1.1 servers that answer every request with the same small {@code 200 ok}, one IO thread
 * each, on three layers: Undertow's server side, bare XNIO, and bare JDK NIO. Measured beside nginx
 * answering the same (jmh/ok-bench.py), they say how much CPU per request each layer costs on its
 * own, and so what an HTTP/1.1 server side of the router's own on XNIO could save at most.
 *
 * <p>The bare servers count complete request heads ({@code CRLF CRLF}) and answer each; they do not
 * parse anything else, so they are a floor, not a server. Body-less requests only.
 *
 * <p>{@code relay} is a proxy's floor on XNIO, for jmh/proxy-bench.py: one upstream connection per
 * client connection, the client's bytes passed on with {@code /services/demo} cut from a request
 * line that starts the read, the upstream's bytes passed back as they are. No parsing, no pool, no
 * routing: what relaying costs on this IO layer, below any real proxy's work.
 *
 * <p>{@code java -cp benchmarks.jar dev.whaleray.jmh.OkServers undertow|xnio|nio PORT}, or {@code
 * relay PORT BACKEND_PORT}
 */
public final class OkServers {
  private OkServers() {}

  /** What nginx's {@code return 200 "ok\n"} sends, byte for byte in size and shape. */
  static final byte[] RESPONSE =
      ("HTTP/1.1 200 OK\r\n"
              + "Server: nginx/1.22.1\r\n"
              + "Date: Tue, 01 Dec 2026 09:00:00 GMT\r\n"
              + "Content-Type: text/plain\r\n"
              + "Content-Length: 3\r\n"
              + "Connection: keep-alive\r\n"
              + "\r\n"
              + "ok\n")
          .getBytes(StandardCharsets.US_ASCII);

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[1]);
    switch (args[0]) {
      case "undertow" -> undertow(port);
      case "xnio" -> xnio(port);
      case "nio" -> nio(port);
      case "relay" -> relay(port, Integer.parseInt(args[2]));
      default -> throw new IllegalArgumentException("undertow, xnio, nio or relay, not " + args[0]);
    }
    System.out.println(args[0] + " ok server on 127.0.0.1:" + port);
  }

  private static void undertow(int port) {
    ByteBuffer body = ByteBuffer.allocateDirect(3).put("ok\n".getBytes(StandardCharsets.US_ASCII));
    body.flip();
    Undertow.builder()
        .setIoThreads(1)
        .setWorkerThreads(1)
        .addHttpListener(port, "127.0.0.1")
        .setHandler(
            exchange -> {
              exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
              exchange.getResponseSender().send(body.duplicate());
            })
        .build()
        .start();
  }

  /**
   * Counts the request heads that end in {@code buf} (from 0 to its position), keeps the bytes
   * after the last one at the start of {@code buf} (a partial head, scanned again from its start
   * with the next read), and returns the count.
   */
  static int completeHeads(ByteBuffer buf) {
    int end = buf.position();
    int matched = 0;
    int heads = 0;
    int after = 0;
    for (int i = 0; i < end; i++) {
      byte b = buf.get(i);
      if (b == (matched % 2 == 0 ? '\r' : '\n')) {
        if (++matched == 4) {
          heads++;
          matched = 0;
          after = i + 1;
        }
      } else {
        matched = b == '\r' ? 1 : 0;
      }
    }
    buf.limit(end).position(after);
    buf.compact();
    return heads;
  }

  /** One XNIO IO thread accepting on {@code port}, each connection to {@code onAccept}. */
  private static void listen(int port, java.util.function.Consumer<StreamConnection> onAccept)
      throws IOException {
    XnioWorker worker =
        Xnio.getInstance()
            .createWorker(
                OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, 1)
                    .set(Options.WORKER_TASK_CORE_THREADS, 1)
                    .set(Options.WORKER_TASK_MAX_THREADS, 1)
                    .set(Options.TCP_NODELAY, true)
                    .getMap());
    ChannelListener<AcceptingChannel<StreamConnection>> accept =
        server -> {
          StreamConnection c;
          try {
            while ((c = server.accept()) != null) {
              onAccept.accept(c);
            }
          } catch (IOException e) {
            System.err.println("accept: " + e);
          }
        };
    worker
        .createStreamConnectionServer(
            new InetSocketAddress("127.0.0.1", port),
            accept,
            OptionMap.builder()
                .set(Options.TCP_NODELAY, true)
                .set(Options.BACKLOG, 4096)
                .set(Options.REUSE_ADDRESSES, true)
                .getMap())
        .resumeAccepts();
  }

  private static void xnio(int port) throws IOException {
    ByteBuffer response = ByteBuffer.allocateDirect(RESPONSE.length).put(RESPONSE);
    response.flip();
    listen(port, c -> serve(c, response));
  }

  private static final byte[] PREFIX = "GET /services/demo/".getBytes(StandardCharsets.US_ASCII);

  private static void relay(int port, int backendPort) throws IOException {
    InetSocketAddress backend = new InetSocketAddress("127.0.0.1", backendPort);
    listen(
        port,
        client ->
            client
                .getIoThread()
                .openStreamConnection(
                    backend,
                    upstream -> {
                      oneWay(client, upstream, true);
                      oneWay(upstream, client, false);
                    },
                    OptionMap.create(Options.TCP_NODELAY, true))
                .addNotifier(
                    (future, attachment) -> {
                      if (future.getStatus() != org.xnio.IoFuture.Status.DONE) {
                        closeQuietly(client);
                      }
                    },
                    null));
  }

  /**
   * One direction of a relayed connection: what {@code from} sends goes to {@code to}, with the
   * route's prefix cut from a request line that starts a read when {@code strip}; either side's end
   * or failure closes both.
   */
  private static void oneWay(StreamConnection from, StreamConnection to, boolean strip) {
    ByteBuffer buf = ByteBuffer.allocateDirect(16 * 1024);
    from.getSourceChannel()
        .getReadSetter()
        .set(
            ch -> {
              try {
                int n;
                while ((n = ch.read(buf)) > 0) {
                  buf.flip();
                  if (strip && startsWith(buf, PREFIX)) {
                    // "GET /services/demo/x" -> "GET /x": the prefix strip every contender does
                    buf.position(PREFIX.length - 5);
                    buf.put(buf.position(), (byte) 'G')
                        .put(buf.position() + 1, (byte) 'E')
                        .put(buf.position() + 2, (byte) 'T')
                        .put(buf.position() + 3, (byte) ' ');
                  }
                  writeAll(to.getSinkChannel(), buf);
                  buf.clear();
                }
                if (n < 0) {
                  closeQuietly(from);
                  closeQuietly(to);
                }
              } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
              }
            });
    from.getSourceChannel().resumeReads();
  }

  private static boolean startsWith(ByteBuffer b, byte[] prefix) {
    if (b.remaining() < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b.get(b.position() + i) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static void writeAll(ConduitStreamSinkChannel sink, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (sink.write(b) == 0) {
        sink.awaitWritable(); // a floor, not a proxy: never taken by wrk's small messages
      }
    }
  }

  private static void serve(StreamConnection c, ByteBuffer response) {
    ByteBuffer in = ByteBuffer.allocateDirect(4096);
    ConduitStreamSourceChannel source = c.getSourceChannel();
    ConduitStreamSinkChannel sink = c.getSinkChannel();
    source
        .getReadSetter()
        .set(
            ch -> {
              try {
                int n;
                while ((n = ch.read(in)) > 0) {
                  for (int heads = completeHeads(in); heads > 0; heads--) {
                    ByteBuffer out = response.duplicate();
                    while (out.hasRemaining()) {
                      if (sink.write(out) == 0) {
                        sink.awaitWritable(); // a floor, not a server: never taken by wrk's load
                      }
                    }
                  }
                }
                if (n < 0) {
                  c.close();
                }
              } catch (IOException e) {
                closeQuietly(c);
              }
            });
    source.resumeReads();
  }

  private static void nio(int port) throws IOException {
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("127.0.0.1", port), 4096);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    ByteBuffer response = ByteBuffer.allocateDirect(RESPONSE.length).put(RESPONSE);
    response.flip();
    Thread t =
        new Thread(
            () -> {
              try {
                loop(selector, response);
              } catch (IOException e) {
                System.err.println("selector: " + e);
              }
            },
            "nio-ok");
    t.start();
  }

  /** One connection's read buffer. */
  private record Conn(ByteBuffer in) {}

  private static void loop(Selector selector, ByteBuffer response) throws IOException {
    while (true) {
      selector.select();
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        if (key.isAcceptable()) {
          SocketChannel c;
          while ((c = ((ServerSocketChannel) key.channel()).accept()) != null) {
            c.configureBlocking(false);
            c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            c.register(selector, SelectionKey.OP_READ, new Conn(ByteBuffer.allocateDirect(4096)));
          }
        } else if (key.isReadable()) {
          SocketChannel c = (SocketChannel) key.channel();
          Conn conn = (Conn) key.attachment();
          try {
            int n;
            while ((n = c.read(conn.in())) > 0) {
              for (int heads = completeHeads(conn.in()); heads > 0; heads--) {
                ByteBuffer out = response.duplicate();
                while (out.hasRemaining()) {
                  c.write(out); // a floor, not a server: spins on a full socket buffer
                }
              }
            }
            if (n < 0) {
              key.cancel();
              closeQuietly(c);
            }
          } catch (IOException e) {
            key.cancel();
            closeQuietly(c);
          }
        }
      }
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing after a failed read or write: nothing left to do
    }
  }
}
