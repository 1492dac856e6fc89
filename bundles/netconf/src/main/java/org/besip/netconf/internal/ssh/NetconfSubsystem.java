package org.besip.netconf.internal.ssh;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.protocol.NetconfSession;

/** The SSH subsystem {@code netconf} (RFC 6242 §3): one {@link NetconfSession} per channel, on its own thread. */
final class NetconfSubsystem implements SubsystemFactory {

    private final NetconfServer server;
    private final Supplier<List<String>> capabilities;
    private final AtomicLong ids = new AtomicLong();
    private final int maxMessageBytes;

    NetconfSubsystem(NetconfServer server, Supplier<List<String>> capabilities, int maxMessageBytes) {
        this.server = server;
        this.capabilities = capabilities;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public String getName() {
        return "netconf";
    }

    @Override
    public Command createSubsystem(ChannelSession channel) {
        return new Command() {
            private InputStream in;
            private OutputStream out;
            private ExitCallback exit;
            private NetconfSession session;

            @Override
            public void setInputStream(InputStream in) {
                this.in = in;
            }

            @Override
            public void setOutputStream(OutputStream out) {
                this.out = out;
            }

            @Override
            public void setErrorStream(OutputStream err) {
                // NETCONF does not use stderr
            }

            @Override
            public void setExitCallback(ExitCallback callback) {
                this.exit = callback;
            }

            @Override
            public void start(ChannelSession ch, Environment env) {
                var ssh = ch.getSession();
                session = new NetconfSession(ids.incrementAndGet(), ssh.getUsername(), address(ssh.getClientAddress()),
                        in, out, server, capabilities.get(), maxMessageBytes, () -> exit.onExit(0));
                Thread t = new Thread(session, "netconf-session-" + session.id());
                t.setDaemon(true);
                t.start();
            }

            @Override
            public void destroy(ChannelSession ch) {
                if (session != null) {
                    session.terminate();
                }
            }
        };
    }

    static String address(SocketAddress a) {
        return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
    }
}
