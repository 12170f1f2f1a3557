package dev.whaleray.router.undertow;

import io.undertow.server.ConduitWrapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.ConduitFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Tells the current {@link UpstreamProxyClient.Attempt} when the client's request body has been
 * read to its end, so the response timeout counts from there (like nginx's {@code
 * proxy_read_timeout}) and a slow upload is not cut off as a slow response.
 */
final class RequestEndConduit extends AbstractStreamSourceConduit<StreamSourceConduit> {
  private final UpstreamProxyClient.Attempt attempt;
  private boolean ended;

  private RequestEndConduit(StreamSourceConduit next, UpstreamProxyClient.Attempt attempt) {
    super(next);
    this.attempt = attempt;
  }

  /** A wrapper to install with {@link HttpServerExchange#addRequestWrapper}. */
  static ConduitWrapper<StreamSourceConduit> wrapper(UpstreamProxyClient.Attempt attempt) {
    return (ConduitFactory<StreamSourceConduit> factory, HttpServerExchange exchange) ->
        new RequestEndConduit(factory.create(), attempt);
  }

  private long seen(long n) {
    if (n == -1 && !ended) {
      ended = true;
      attempt.onRequestEnd();
    }
    return n;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return (int) seen(super.read(dst));
  }

  @Override
  public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
    return seen(super.read(dsts, offs, len));
  }

  @Override
  public long transferTo(long position, long count, FileChannel target) throws IOException {
    return super.transferTo(position, count, target);
  }

  @Override
  public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target)
      throws IOException {
    return seen(super.transferTo(count, throughBuffer, target));
  }
}
