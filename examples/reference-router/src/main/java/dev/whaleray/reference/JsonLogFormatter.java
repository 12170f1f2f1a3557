package dev.whaleray.reference;

import dev.whaleray.router.internal.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line: {@code {"time", "level", "logger", "message", "error"}}, for CloudWatch
 * and other log pipelines that parse JSON lines.
 */
final class JsonLogFormatter extends Formatter {
  @Override
  public String format(LogRecord record) {
    StringBuilder sb = new StringBuilder(160).append("{\"time\":\"");
    sb.append(Instant.ofEpochMilli(record.getMillis())).append("\",\"level\":\"");
    sb.append(level(record)).append("\",\"logger\":");
    quote(sb, record.getLoggerName() == null ? "" : record.getLoggerName());
    sb.append(",\"message\":");
    quote(sb, formatMessage(record));
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      record.getThrown().printStackTrace(new PrintWriter(trace));
      sb.append(",\"error\":");
      quote(sb, trace.toString());
    }
    return sb.append("}\n").toString();
  }

  private static String level(LogRecord record) {
    int v = record.getLevel().intValue();
    if (v >= 1000) {
      return "ERROR";
    }
    if (v >= 900) {
      return "WARN";
    }
    if (v >= 800) {
      return "INFO";
    }
    return "DEBUG";
  }

  private static void quote(StringBuilder sb, String s) {
    Json.quote(sb, s);
  }
}
