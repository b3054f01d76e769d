package io.strait.interop;

import java.util.List;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.registry.Registry;
import org.apache.dubbo.registry.RegistryFactory;
import org.apache.dubbo.rpc.model.ApplicationModel;
import org.apache.dubbo.rpc.model.FrameworkModel;

/**
 * The consumer side of interop: asks Dubbo's own ZooKeeper registry (the code a Dubbo consumer runs)
 * which providers match an interface/group/version, and prints each match's full URL, one per line,
 * then "DONE". Dubbo applies its own matching (category, interface, group, version, enabled) here,
 * so a provider Strait registered is listed only if a real Dubbo consumer would select it.
 *
 * Usage: Lookup <zkHost:port> <interface> <group or -> <version or ->
 */
public final class Lookup {
  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: Lookup <zkHost:port> <interface> <group|-> <version|->");
      System.exit(2);
    }
    ApplicationModel app = FrameworkModel.defaultModel().newApplication();
    app.getApplicationConfigManager().setApplication(new org.apache.dubbo.config.ApplicationConfig("strait-interop-consumer"));
    RegistryFactory factory = app.getExtensionLoader(RegistryFactory.class).getAdaptiveExtension();
    // file.cache=false: no ~/.dubbo cache file shared between concurrent test runs.
    Registry registry = factory.getRegistry(
        URL.valueOf("zookeeper://" + args[0] + "?timeout=15000&file.cache=false").setScopeModel(app));
    StringBuilder q = new StringBuilder("consumer://127.0.0.1/" + args[1] + "?interface=" + args[1]
        + "&category=providers&check=false&side=consumer");
    if (!"-".equals(args[2])) q.append("&group=").append(args[2]);
    if (!"-".equals(args[3])) q.append("&version=").append(args[3]);
    URL consumer = URL.valueOf(q.toString()).setScopeModel(app);
    // Curator connects in the background; a lookup() before that answers empty and the registry then
    // keeps that answer as its notified state. A subscribing consumer would be notified on connect;
    // this one-shot lookup waits for the connection instead (bounded).
    long deadline = System.currentTimeMillis() + 30_000;
    while (!registry.isAvailable() && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!registry.isAvailable()) {
      System.err.println("registry not available after 30 s");
      System.exit(1);
    }
    List<URL> found = registry.lookup(consumer).stream().filter(u -> !"empty".equals(u.getProtocol())).toList();
    if (found.isEmpty()) {
      // Diagnostics for the caller: the same lookup without group/version filtering.
      URL any = URL.valueOf("consumer://127.0.0.1/" + args[1] + "?interface=" + args[1]
          + "&category=providers&check=false&side=consumer&group=*&version=*").setScopeModel(app);
      System.err.println("no match; unfiltered lookup: " + registry.lookup(any));
    }
    for (URL u : found) System.out.println(u.toFullString());
    System.out.println("DONE");
    System.out.flush();
    registry.destroy();
    System.exit(0);
  }
}
