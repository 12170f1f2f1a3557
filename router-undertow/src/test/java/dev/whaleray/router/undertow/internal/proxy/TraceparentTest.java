package dev.whaleray.router.undertow.internal.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.whaleray.router.undertow.internal.http1.HeadWriter;
import io.undertow.util.HeaderMap;
import io.undertow.util.HttpString;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Trace context: which id a request gets, and the created {@code traceparent} as sent. */
class TraceparentTest {
  private static final String CLIENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private static final RequestRecord.Sink NO_SINK =
      new RequestRecord.Sink() {
        @Override
        public void started() {}

        @Override
        public void completed(RequestRecord record, io.undertow.server.HttpServerExchange e) {}
      };

  private static RequestRecord record() {
    return new RequestRecord(NO_SINK, System.nanoTime());
  }

  private static HeaderMap headers(String... nameValues) {
    HeaderMap h = new HeaderMap();
    for (int i = 0; i < nameValues.length; i += 2) {
      h.add(new HttpString(nameValues[i]), nameValues[i + 1]);
    }
    return h;
  }

  @Test
  void aValidClientTraceparentIsKeptAndItsIdLogged() {
    RequestRecord r = record();
    assertThat(Traceparent.ensure(headers("traceparent", CLIENT), true, r)).isNull();
    assertThat(r.traceId).isEqualTo("0af7651916cd43dd8448eb211c80319c");
  }

  @Test
  void anInvalidClientTraceparentIsNotReplacedAndTheAlbIdIsLogged() {
    RequestRecord r = record();
    HeaderMap in =
        headers(
            "traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "X-Amzn-Trace-Id", "Self=1-aa;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
    assertThat(Traceparent.ensure(in, true, r)).isNull(); // passed through untouched, as before
    assertThat(r.traceId).isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
  }

  @Test
  void withoutATraceparentOneIsCreatedOnlyWhenAsked() {
    RequestRecord r = record();
    assertThat(Traceparent.ensure(headers("Host", "a"), false, r)).isNull();
    assertThat(r.traceId).isNull();

    Traceparent made = Traceparent.ensure(headers("Host", "a"), true, r);
    assertThat(made).isNotNull();
    String value = made.toString();
    assertThat(value).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    assertThat(Traceparent.traceId(value)).isEqualTo(r.traceId).isEqualTo(made.traceId());
    assertThat(Traceparent.ensure(headers("Host", "a"), true, null)).isNotNull(); // no access log
  }

  @Test
  void createdIdsAreNeverAllZerosAndKeepLeadingZeros() {
    Traceparent t = new Traceparent(0L, 0L | 1, 0x00000000000000ffL);
    assertThat(t.toString()).isEqualTo("00-00000000000000000000000000000001-00000000000000ff-01");
    assertThat(Traceparent.traceId(t.toString())).isEqualTo("00000000000000000000000000000001");
    for (int i = 0; i < 1000; i++) {
      Traceparent c = Traceparent.create();
      assertThat(Traceparent.traceId(c.toString())).isNotNull();
      assertThat(c.parentId).isNotZero();
    }
  }

  /** The upstream head carries the created value, written from the ids, on each attempt alike. */
  @Test
  void theUpstreamHeadCarriesTheCreatedValue() {
    Traceparent t = new Traceparent(0x0af7651916cd43ddL, 0x8448eb211c80319cL, 0xb7ad6b7169203331L);
    RequestHeadTest.FakeOrigin origin =
        new RequestHeadTest.FakeOrigin(
            "10.0.0.7", false, InetSocketAddress.createUnresolved("10.0.0.1", 8080), 8080);
    for (int attempt = 0; attempt < 2; attempt++) {
      HeadWriter w = new HeadWriter();
      RequestHead.headers(
          w, headers("Host", "a"), "10.1.2.3:3000", false, false, null, -1, t, origin);
      String head = new String(w.buf, 0, w.len, StandardCharsets.ISO_8859_1);
      assertThat(head).contains("\r\ntraceparent: " + CLIENT + "\r\n").endsWith("\r\n\r\n");
      assertThat(head.indexOf("traceparent")).isEqualTo(head.lastIndexOf("traceparent"));
    }
    assertThat(t.toString()).isEqualTo(CLIENT);
  }
}
