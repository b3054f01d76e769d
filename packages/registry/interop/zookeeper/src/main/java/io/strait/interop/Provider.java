package io.strait.interop;

import java.io.IOException;
import org.apache.dubbo.config.ApplicationConfig;
import org.apache.dubbo.config.ProtocolConfig;
import org.apache.dubbo.config.RegistryConfig;
import org.apache.dubbo.config.ServiceConfig;
import org.apache.dubbo.config.bootstrap.DubboBootstrap;

/**
 * A real Dubbo provider for interop tests. It exports two services through Dubbo's own bootstrap into
 * the ZooKeeper given on the command line, with register-mode "all" so Dubbo writes BOTH layouts:
 * interface-level /dubbo/<interface>/providers/<url> and application-level /services/<app>/<id> plus
 * the /dubbo/mapping/<interface> entries. It prints READY once exported and stays up (its ephemeral
 * nodes live with its session) until stdin closes, then shuts down cleanly.
 *
 * Usage: Provider <zkHost:port> <application> <dubboPort>
 */
public final class Provider {
  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: Provider <zkHost:port> <application> <dubboPort>");
      System.exit(2);
    }
    ApplicationConfig app = new ApplicationConfig(args[1]);
    app.setRegisterMode("all");
    app.setQosEnable(false);

    RegistryConfig registry = new RegistryConfig("zookeeper://" + args[0]);
    registry.setTimeout(15000);

    ProtocolConfig protocol = new ProtocolConfig("dubbo", Integer.parseInt(args[2]));
    protocol.setHost("127.0.0.1");

    ServiceConfig<DemoService> demo = new ServiceConfig<>();
    demo.setInterface(DemoService.class);
    demo.setRef(new DemoService() {
      @Override
      public String sayHello(String name) {
        return "hello " + name;
      }

      @Override
      public String sayBye(String name) {
        return "bye " + name;
      }
    });
    demo.setVersion("1.0.0");
    demo.setGroup("g1");
    demo.setWeight(200);

    ServiceConfig<GreetingService> greeting = new ServiceConfig<>();
    greeting.setInterface(GreetingService.class);
    greeting.setRef(name -> "hi " + name);

    DubboBootstrap bootstrap = DubboBootstrap.getInstance()
        .application(app)
        .registry(registry)
        .protocol(protocol)
        .service(demo)
        .service(greeting)
        .start();
    System.out.println("READY");
    System.out.flush();
    // Block until the test closes our stdin; the registrations live exactly as long as this process.
    while (System.in.read() != -1) {
      // drain
    }
    bootstrap.stop();
    System.exit(0);
  }
}
