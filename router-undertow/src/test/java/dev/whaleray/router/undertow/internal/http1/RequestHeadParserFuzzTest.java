package dev.whaleray.router.undertow.internal.http1;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Fuzzes {@link RequestHeadParser}, the strict subset of HTTP/1.1 request heads the router serves
 * itself, against {@link #reference}: the same rules written plainly over a String with regular
 * expressions, one rule at a time, as {@code router-undertow/OWN-HTTP1.md} states them.
 *
 * <p>Properties:
 *
 * <ol>
 *   <li>It never throws, and leaves the buffer's position where it was unless it says COMPLETE.
 *   <li>COMPLETE exactly when the reference accepts the first head of the input, with the same
 *       method, target, header names (in the bytes sent), values and Connection: close, and the
 *       position just after that head.
 *   <li>Fed the input a byte at a time (the limit growing), it says NEED_MORE until the head's last
 *       byte or an OUTSIDE, never COMPLETE early, and ends where it does fed whole.
 * </ol>
 *
 * <p>Seeds: {@code
 * src/test/resources/dev/whaleray/router/undertow/internal/http1/RequestHeadParserFuzzTestInputs}.
 */
class RequestHeadParserFuzzTest {
  static final int MAX_SIZE = 512;
  static final int MAX_HEADERS = 8;

  private static final Pattern REQUEST_LINE =
      Pattern.compile("(GET|HEAD|DELETE|OPTIONS) (/[\\x21-\\x7e]*) HTTP/1\\.1");
  private static final Pattern HEADER =
      Pattern.compile("([!#$%&'*+\\-.^_`|~0-9A-Za-z]+):[ \\t]*([\\x20-\\x7e\\t]*?)[ \\t]*");
  private static final Pattern IPV4 =
      Pattern.compile(
          "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})");

  @FuzzTest
  @DictionaryFile(resourcePath = "request-head-subset.dict")
  void acceptsWhatTheReferenceAcceptsAndNothingElse(byte[] input) {
    RequestHeadParser parser = new RequestHeadParser(MAX_SIZE, MAX_HEADERS);
    ByteBuffer whole = ByteBuffer.allocateDirect(input.length + 1);
    whole.put(input).flip();
    int result = parser.parse(whole);
    Head expected = reference(new String(input, StandardCharsets.ISO_8859_1));

    if (expected == null) {
      assertThat(result).isNotEqualTo(RequestHeadParser.COMPLETE);
      assertThat(whole.position()).isZero();
    } else {
      assertThat(result).isEqualTo(RequestHeadParser.COMPLETE);
      assertThat(whole.position()).isEqualTo(expected.length);
      assertThat(parser.method().toString()).isEqualTo(expected.method);
      assertThat(parser.target()).isEqualTo(expected.target);
      assertThat(parser.close()).isEqualTo(expected.close);
      List<String> got = new ArrayList<>();
      for (int i = 0; i < parser.headerCount(); i++) {
        got.add(parser.name(i) + ": " + parser.value(i));
      }
      assertThat(got).isEqualTo(expected.headers);
    }

    // Byte by byte: never COMPLETE before the whole head, the same end as fed whole.
    RequestHeadParser split = new RequestHeadParser(MAX_SIZE, MAX_HEADERS);
    ByteBuffer growing = ByteBuffer.allocate(input.length);
    growing.put(input).flip();
    int last = RequestHeadParser.NEED_MORE;
    for (int limit = 0; limit <= input.length && last == RequestHeadParser.NEED_MORE; limit++) {
      growing.limit(limit).position(0);
      last = split.parse(growing);
      if (last == RequestHeadParser.COMPLETE) {
        assertThat(expected).isNotNull();
        assertThat(limit).isEqualTo(expected.length);
      }
    }
    if (result != RequestHeadParser.NEED_MORE) {
      assertThat(last).isEqualTo(result);
    }
  }

  /** What the reference makes of a head it accepts. */
  static final class Head {
    final String method;
    final String target;
    final List<String> headers;
    final boolean close;
    final int length;

    Head(String method, String target, List<String> headers, boolean close, int length) {
      this.method = method;
      this.target = target;
      this.headers = headers;
      this.close = close;
      this.length = length;
    }
  }

  /** The subset's rules, plainly: the first head of {@code s} if it is inside, else null. */
  static @Nullable Head reference(String s) {
    int end = s.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > MAX_SIZE) {
      return null;
    }
    String[] lines = s.substring(0, end).split("\r\n", -1);
    for (String line : lines) {
      if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
        return null; // a bare CR or LF
      }
    }
    Matcher request = REQUEST_LINE.matcher(lines[0]);
    if (!request.matches() || !target(request.group(2))) {
      return null;
    }
    List<String> headers = new ArrayList<>();
    int hosts = 0;
    int lengths = 0;
    int connections = 0;
    boolean close = false;
    if (lines.length - 1 > MAX_HEADERS) {
      return null;
    }
    for (int i = 1; i < lines.length; i++) {
      Matcher h = HEADER.matcher(lines[i]);
      if (!h.matches()) {
        return null;
      }
      String name = h.group(1);
      String value = h.group(2);
      if (value.contains("  ")
          || value.contains("\t\t")
          || value.contains(" \t")
          || value.contains("\t ")
          || lines[i].matches(".*[^ \\t:][ \\t]{2,}")) {
        return null; // a run of spaces and tabs after the value began (Undertow folds it)
      }
      String lower = name.toLowerCase(Locale.ROOT);
      switch (lower) {
        case "transfer-encoding":
        case "expect":
        case "upgrade":
        case "http2-settings":
        case "te":
          return null;
        case "content-length":
          if (++lengths > 1 || !value.equals("0")) {
            return null;
          }
          break;
        case "connection":
          if (++connections > 1) {
            return null;
          }
          if (value.equalsIgnoreCase("close")) {
            close = true;
          } else if (!value.equalsIgnoreCase("keep-alive")) {
            return null;
          }
          break;
        case "host":
          if (++hosts > 1 || !host(value)) {
            return null;
          }
          break;
        default:
          break;
      }
      headers.add(name + ": " + value);
    }
    if (hosts != 1) {
      return null;
    }
    return new Head(request.group(1), request.group(2), headers, close, end + 4);
  }

  static boolean target(String t) {
    for (char c : t.toCharArray()) {
      if ("%+;\\#\"<>{}|^`[]".indexOf(c) >= 0) {
        return false;
      }
    }
    int q = t.indexOf('?');
    String path = q < 0 ? t : t.substring(0, q);
    if (path.contains("//")) {
      return false;
    }
    String[] segments = path.split("/", -1);
    for (String segment : segments) {
      if (segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }

  static boolean host(String value) {
    int colon = value.indexOf(':');
    String name = colon < 0 ? value : value.substring(0, colon);
    if (colon >= 0) {
      String port = value.substring(colon + 1);
      if (!port.matches("[1-9][0-9]{0,4}") || Integer.parseInt(port) > 65535) {
        return false;
      }
    }
    if (name.isEmpty() || name.length() > 253 || !name.matches("[A-Za-z0-9.\\-]+")) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (label.isEmpty() || label.startsWith("-")) {
        return false;
      }
    }
    if (name.matches("[0-9.]+")) {
      Matcher m = IPV4.matcher(name);
      if (!m.matches()) {
        return false;
      }
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(m.group(i)) > 255) {
          return false;
        }
      }
    }
    return true;
  }
}
