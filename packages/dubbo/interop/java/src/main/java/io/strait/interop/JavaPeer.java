package io.strait.interop;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.ReferenceConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;

/**
 * A real Apache Dubbo application for the SDK interop test (no registry: direct URLs, QoS off).
 *   consumer PORT   calls the @strait/dubbo provider on PORT through Dubbo's ReferenceConfig and prints one
 *                   result line per call ("name=value" or "name!ExceptionClass: message")
 *   provider PORT   exports DemoService 1.0.0 on PORT, prints "READY", and on a "stop" line on stdin shuts
 *                   down gracefully (Dubbo sends READONLY to its consumers), prints "STOPPED" and exits
 */
public final class JavaPeer {
  private JavaPeer() {}

  public static void main(String[] argv) throws Exception {
    // Dubbo swaps a loopback host for the machine's first non-loopback address (NetUtils.filterLocalHost);
    // the test must stay on 127.0.0.1, so every other interface is ignored before Dubbo's classes load.
    List<String> ignored = new ArrayList<>();
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!ni.isLoopback()) {
        ignored.add(Pattern.quote(ni.getName()));
      }
    }
    System.setProperty("dubbo.network.interface.ignored", String.join(",", ignored));
    System.setProperty("dubbo.application.qos-enable", "false");
    // Graceful shutdown waits this long for in-flight calls (default 10 s); the test needs less.
    System.setProperty("dubbo.service.shutdown.wait", "3000");
    System.setProperty("dubbo.application.logger", "jdk");
    int port = Integer.parseInt(argv[1]);
    ApplicationConfig app = new ApplicationConfig("java-" + argv[0]);
    app.setQosEnable(false);
    app.setRegisterMode("interface");
    DubboBootstrap boot = DubboBootstrap.newInstance().application(app).registry(new RegistryConfig("N/A"));
    if (argv[0].equals("consumer")) {
      consumer(boot, port);
    } else {
      provider(boot, port);
    }
  }

  private static void consumer(DubboBootstrap boot, int port) {
    ReferenceConfig<DemoService> ref = new ReferenceConfig<>();
    ref.setInterface(DemoService.class);
    ref.setUrl("dubbo://127.0.0.1:" + port);
    ref.setVersion("1.0.0");
    ref.setTimeout(5000);
    ref.setCheck(false);
    ref.setRetries(0);
    boot.reference(ref).start();
    DemoService s = ref.get();
    call("sayHello", () -> s.sayHello("java"));
    call("add", () -> s.add(2, 40L));
    call("fail", () -> s.fail("kaput"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("k", "v");
    m.put("n", 7);
    call("echoMap", () -> s.echoMap(m));
    call("echoList", () -> s.echoList(new ArrayList<>(Arrays.asList("x", "y"))));
    call("unicode", () -> s.sayHello("世界 \uD83D\uDE80"));
    System.out.flush();
    boot.stop();
    System.exit(0);
  }

  private interface Call {
    Object run() throws Exception;
  }

  private static void call(String name, Call c) {
    try {
      System.out.println("RESULT " + name + "=" + c.run());
    } catch (Exception e) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      System.out.println("RESULT " + name + "!" + e.getClass().getName() + ": " + e.getMessage());
    }
  }

  private static void provider(DubboBootstrap boot, int port) throws Exception {
    ServiceConfig<DemoService> svc = new ServiceConfig<>();
    svc.setInterface(DemoService.class);
    svc.setVersion("1.0.0");
    svc.setRef(new DemoService() {
      @Override
      public String sayHello(String name) {
        return "hello " + name + " from java";
      }

      @Override
      public long add(int a, long b) {
        return a + b;
      }

      @Override
      public String fail(String message) {
        throw new IllegalStateException(message);
      }

      @Override
      public Map<String, Object> echoMap(Map<String, Object> in) {
        return in;
      }

      @Override
      public List<String> echoList(List<String> in) {
        return in;
      }

      @Override
      public String sleep(int ms, String tag) {
        try {
          Thread.sleep(ms);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return tag;
      }
    });
    ProtocolConfig protocol = new ProtocolConfig("dubbo", port);
    protocol.setHost("127.0.0.1");
    boot.protocol(protocol).service(svc).start();
    System.out.println("READY " + port);
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
      // wait for the test to ask for a shutdown
    }
    boot.stop();
    System.out.println("STOPPED");
    System.out.flush();
    System.exit(0);
  }
}
