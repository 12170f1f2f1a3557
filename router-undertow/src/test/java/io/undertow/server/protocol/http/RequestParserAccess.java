package io.undertow.server.protocol.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.BadRequestException;
import java.nio.ByteBuffer;
import org.xnio.OptionMap;

/**
 * Test-only access to Undertow's package-private HTTP/1.1 request-head parser ({@link
 * RequestParser}), which the router's listener runs on every connection. It is driven the way
 * {@code HttpReadListener} drives it: each read is handed to {@code handle} with the parser's state
 * kept between reads and unconsumed bytes handed over again, on an exchange without a connection
 * (the parser touches none).
 */
public final class RequestParserAccess {
  private RequestParserAccess() {}

  /** A parsed head, or an incomplete one: the exchange and how many bytes the head took. */
  public static final class Parsed {
    /** The exchange the parser filled in. */
    public final HttpServerExchange exchange;

    /** True when the head ended (its empty line was read). */
    public final boolean complete;

    /** Bytes of the input the parser consumed: the head's length when complete. */
    public final int consumed;

    Parsed(HttpServerExchange exchange, boolean complete, int consumed) {
      this.exchange = exchange;
      this.complete = complete;
      this.consumed = consumed;
    }
  }

  /**
   * Parses {@code input} delivered in reads of {@code reads[i % reads.length]} bytes.
   *
   * @throws BadRequestException as Undertow does for a malformed head (the listener answers 400)
   */
  public static Parsed parse(OptionMap options, byte[] input, int[] reads)
      throws BadRequestException {
    RequestParser parser = RequestParser.instance(options);
    RequestState state = new RequestState();
    HttpServerExchange exchange = new HttpServerExchange(null);
    int pos = 0;
    int available = 0;
    for (int i = 0; !state.isComplete() && available < input.length; i++) {
      available = Math.min(input.length, available + reads[i % reads.length]);
      ByteBuffer buffer = ByteBuffer.wrap(input, pos, available - pos);
      parser.handle(buffer, state, exchange);
      pos = buffer.position();
    }
    return new Parsed(exchange, state.isComplete(), pos);
  }
}
