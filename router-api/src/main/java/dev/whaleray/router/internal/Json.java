package dev.whaleray.router.internal;

/**
 * JSON string quoting for the router's small JSON outputs (error bodies, log lines). Not an API.
 */
public final class Json {
  private Json() {}

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * Appends {@code s} as a JSON string literal. Control characters, lone surrogates and {@code < >}
   * (so a body is never read as HTML) are escaped as {@code \}{@code uXXXX}.
   */
  public static StringBuilder quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || isLoneSurrogate(s, i)) {
            sb.append("\\u")
                .append(HEX[(c >> 12) & 15])
                .append(HEX[(c >> 8) & 15])
                .append(HEX[(c >> 4) & 15])
                .append(HEX[c & 15]);
          } else {
            sb.append(c);
          }
      }
    }
    return sb.append('"');
  }

  private static boolean isLoneSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    return false;
  }
}
