package org.besip.monitoring.internal.zabbix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A passive Zabbix agent (protocol of Zabbix agent 6): a request is {@code ZBXD}, flag 0x01,
 * 4-byte little-endian length, 4 reserved bytes, then the key; the answer has the same header
 * around the value, or {@code ZBX_NOTSUPPORTED\0<reason>}. Only addresses of the allow-list
 * (Zabbix's {@code Server=}) are answered; others are disconnected unanswered.
 */
public final class ZabbixAgent implements AutoCloseable {

    /** The answer to a key: a value, or null with a reason. */
    public record Answer(String value, String unsupported) {
        public static Answer of(Object v) {
            return new Answer(String.valueOf(v), null);
        }

        public static Answer notSupported(String why) {
            return new Answer(null, why);
        }
    }

    static final int MAX_KEY_BYTES = 2048;

    private final ServerSocket socket;
    private final Set<InetAddress> allowed;
    private final Function<String, Answer> keys;
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "zabbix-agent");
        t.setDaemon(true);
        return t;
    });
    private final Thread acceptor;

    public ZabbixAgent(InetSocketAddress bind, Set<InetAddress> allowed, Function<String, Answer> keys) throws IOException {
        this.socket = new ServerSocket();
        this.socket.setReuseAddress(true);
        this.socket.bind(bind, 16);
        this.allowed = Set.copyOf(allowed);
        this.keys = keys;
        this.acceptor = new Thread(this::accept, "zabbix-agent-accept");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                if (!allowed.contains(s.getInetAddress())) {
                    s.close();
                    continue;
                }
                workers.submit(() -> serve(s));
            } catch (IOException e) {
                // closed, or a client that went away during accept
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setSoTimeout(3000);
            String key = readKey(in);
            Answer a;
            try {
                a = key == null ? Answer.notSupported("malformed request") : keys.apply(key.trim());
            } catch (RuntimeException e) {
                a = Answer.notSupported("error: " + e.getMessage());
            }
            out.write(frame(a.value() != null ? a.value().getBytes(StandardCharsets.UTF_8)
                    : ("ZBX_NOTSUPPORTED\0" + a.unsupported()).getBytes(StandardCharsets.UTF_8)));
            out.flush();
        } catch (IOException e) {
            // a client that stalls or leaves is simply dropped
        }
    }

    /** The key of a framed request; null when malformed (no ZBXD header, bad flags, oversize). */
    static String readKey(InputStream in) throws IOException {
        byte[] head = in.readNBytes(13);
        if (head.length != 13 || head[0] != 'Z' || head[1] != 'B' || head[2] != 'X' || head[3] != 'D' || (head[4] & 0x01) == 0) {
            return null;
        }
        long len = ByteBuffer.wrap(head, 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
        if (len > MAX_KEY_BYTES) {
            return null;
        }
        byte[] key = in.readNBytes((int) len);
        return key.length == len ? new String(key, StandardCharsets.UTF_8) : null;
    }

    static byte[] frame(byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(13 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] { 'Z', 'B', 'X', 'D', 0x01 });
        b.putInt(payload.length);
        b.putInt(0);
        b.put(payload);
        return b.array();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        workers.shutdownNow();
    }
}
