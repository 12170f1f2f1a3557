package dev.whaleray.discovery.staticlist;

import dev.whaleray.router.discovery.Discovery;
import dev.whaleray.router.discovery.DiscoveryContext;
import dev.whaleray.router.discovery.DiscoveryProvider;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code static} discovery ({@code WHALERAY_DISCOVERY=static}): the {@code discovery.static}
 * section of the router's config file, reloaded when the file changes. Without a config file every
 * service is unknown. It reads no setting: a setting given for it by name is a mistake, refused at
 * start-up. Stateless and thread-safe.
 */
public final class StaticDiscoveryProvider implements DiscoveryProvider {

  /** The provider name, the config value. */
  public static final String NAME = "static";

  @Override
  public String name() {
    return NAME;
  }

  /** None: the endpoints come from the config file's {@code discovery.static} section. */
  @Override
  public Set<String> settingNames() {
    return Set.of();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the config file cannot be read or its {@code
   *     discovery.static} section is invalid, naming the line and field
   */
  @Override
  public Discovery newDiscovery(DiscoveryContext context) {
    Path file = context.configFile();
    if (file == null) {
      return StaticDiscovery.builder().executor(context.scheduler()).build();
    }
    return StaticDiscovery.fromFile(file, context.scheduler());
  }
}
