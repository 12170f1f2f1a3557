package dev.whaleray.reference;

/**
 * A configuration error; the message names the source (file and line, or variable) and the field.
 * Immutable.
 */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  ConfigException(String message) {
    super(message);
  }

  ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
