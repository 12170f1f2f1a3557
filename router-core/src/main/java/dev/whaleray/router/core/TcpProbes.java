package dev.whaleray.router.core;

import java.nio.channels.AsynchronousChannelGroup;
import java.util.concurrent.Executor;

/**
 * What TCP-connect health checks run on: non-blocking connects in {@code group}, host names
 * resolved on {@code resolver} (a bounded pool, never an IO or the control thread).
 */
record TcpProbes(AsynchronousChannelGroup group, Executor resolver) {}
