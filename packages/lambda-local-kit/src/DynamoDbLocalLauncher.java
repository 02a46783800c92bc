import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only.
 *
 * DynamoDB Local has no bind-address option and listens on every interface. This builds the
 * server through its own ServerRunner (same arguments as its CLI), sets the host of its Jetty
 * connector before starting it, prints the bound address on stdout, and exits when stdin closes,
 * so that no JVM outlives the Node process that spawned it with a stdin pipe.
 *
 * "-port 0" asks for an ephemeral port (DynamoDB Local itself rejects 0): letting the kernel pick
 * avoids racing other processes for a port the parent probed as free.
 */
public final class DynamoDbLocalLauncher {
  private static final String LOOPBACK = "127.0.0.1";

  /** Any valid port: DynamoDB Local only validates it, the connector port is then replaced. */
  private static final String PLACEHOLDER_PORT = "8000";

  public static void main(String[] args) throws Exception {
    boolean ephemeralPort = false;
    String[] serverArgs = args.clone();
    for (int i = 0; i + 1 < serverArgs.length; i++) {
      if (serverArgs[i].equals("-port") && serverArgs[i + 1].equals("0")) {
        serverArgs[i + 1] = PLACEHOLDER_PORT;
        ephemeralPort = true;
      }
    }

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(serverArgs);

    // DynamoDBProxyServer keeps its Jetty server private and exposes no way to configure it.
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server jetty = (Server) serverField.get(proxy);

    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) {
      throw new IllegalStateException("DynamoDB Local created no Jetty connector");
    }
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("Unexpected Jetty connector " + connector.getClass().getName());
      }
      ServerConnector serverConnector = (ServerConnector) connector;
      serverConnector.setHost(LOOPBACK);
      if (ephemeralPort) {
        serverConnector.setPort(0);
      }
    }

    // safeStart starts Jetty without the start-up telemetry call that start() makes.
    proxy.safeStart();

    int port = ((ServerConnector) connectors[0]).getLocalPort();
    System.out.println("DYNAMODB_LOCAL_LISTENING " + LOOPBACK + ":" + port);
    System.out.flush();

    // Block until the parent closes our stdin (it stops us, or it died), then shut down.
    while (System.in.read() != -1) {
      // Input is ignored: only the end of the stream matters.
    }
    try {
      proxy.stop();
    } finally {
      System.exit(0);
    }
  }
}
