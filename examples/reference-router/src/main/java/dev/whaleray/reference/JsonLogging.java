package dev.whaleray.reference;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The reference router's logs: one JSON object per line on stdout through Logback's own {@link
 * JsonEncoder} (timestamp, level, thread, logger, formatted message, throwable), as CloudWatch Logs
 * and other collectors read them; Undertow's and XNIO's start-up chatter at WARN. Set in code,
 * found by Logback's ServiceLoader: parsing a logback.xml costs a new task hundreds of milliseconds
 * of start-up. {@code -Dlogback.configurationFile=...} still wins.
 */
public final class JsonLogging extends ContextAwareBase implements Configurator {

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY; // the operator's file, read by Joran
    }
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithMDC(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
    stdout.setContext(context);
    stdout.setName("stdout");
    stdout.setEncoder(encoder);
    stdout.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stdout);
    for (String quiet : new String[] {"io.undertow", "org.xnio", "org.jboss"}) {
      context.getLogger(quiet).setLevel(Level.WARN);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
