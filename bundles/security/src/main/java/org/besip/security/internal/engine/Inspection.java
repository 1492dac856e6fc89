package org.besip.security.internal.engine;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SoftFaults;

/**
 * What the security module decides of each packet and each soft fault, without I/O: a blocked
 * source is dropped at once; otherwise the rules run, their events become alerts, and an event
 * with a block target blocks it (never a PBX trunk, never the whitelist). A packet from a
 * source with a registration that carries credentials is judged as authenticated (rules may
 * spare it). Soft faults (failed logins) past the policy's count block their source. The module's
 * component turns the alerts into log lines, events and rows.
 */
public final class Inspection {

    /** Where an alert goes: sid, rev, message, class type, source, destination, action, when. */
    public interface Alerts {
        void alert(long sid, int rev, String msg, String classtype, String source, String destination, String action, long now);
    }

    private final Blocklist blocks;
    private final SoftFaults soft;
    private final Supplier<Engine> engine;
    private final Predicate<InetAddress> trunk;
    private final Predicate<InetAddress> hasBinding;
    private final Alerts alerts;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong raised = new AtomicLong();

    public Inspection(Blocklist blocks, SoftFaults soft, Supplier<Engine> engine, Predicate<InetAddress> trunk, Predicate<InetAddress> hasBinding,
            Alerts alerts) {
        this.blocks = blocks;
        this.soft = soft;
        this.engine = engine;
        this.trunk = trunk;
        this.hasBinding = hasBinding;
        this.alerts = alerts;
    }

    /**
     * A message the PBX read from {@code src} ({@code dst}: the local address, null when the
     * socket is bound to any): whether it is to be dropped.
     */
    public boolean drop(InetAddress src, int srcPort, InetAddress dst, int dstPort, boolean udp, byte[] data, long now) {
        if (blocks.blocked(src, now)) {
            dropped.incrementAndGet();
            return true;
        }
        boolean authenticated = hasBinding.test(src) && carriesCredentials(data, data.length);
        boolean drop = judge(new Engine.Packet(src, srcPort, dst, dstPort, udp ? "udp" : "tcp", data, data.length, -1, authenticated), now);
        if (drop) {
            dropped.incrementAndGet();
        }
        return drop;
    }

    /** A packet from wire capture (what the PBX never sees): judged, unless its source is blocked already. */
    public void wire(Engine.Packet p, long now) {
        if (!blocks.blocked(p.src(), now)) {
            judge(p, now);
        }
    }

    /** A failed login from {@code a} ({@code what}: SIP, NETCONF…); past the policy's count its source is blocked. */
    public void failed(InetAddress a, String what, long now) {
        if (trunk.test(a)) {
            return; // a provider's failures are the operator's configuration to fix, not an attack to block
        }
        int n = soft.failed(a, now);
        if (n > 0) {
            SoftFaults.Policy p = soft.policy();
            String msg = "soft faults: " + n + " " + what + " authentication failures in " + p.windowS() + " s";
            alert(0, 1, msg, "soft-fault", a.getHostAddress(), "", "block", now);
            blocks.block(a, p.blockS(), msg, 0, now);
        }
    }

    /** Packets dropped: from blocked sources, and by drop rules. */
    public long dropped() {
        return dropped.get();
    }

    /** Alerts raised. */
    public long alerts() {
        return raised.get();
    }

    /** Runs the rules over a packet, raises its alerts and blocks; whether the packet itself is to be dropped. */
    private boolean judge(Engine.Packet p, long now) {
        Engine.Result r = engine.get().evaluate(p, now);
        boolean drop = r.drop();
        for (Engine.Event e : r.events()) {
            alert(e.rule().sid(), e.rule().rev(), e.rule().msg(), e.rule().classtype(), p.src().getHostAddress(),
                    p.dst() == null ? "" : p.dst().getHostAddress() + ":" + p.dstPort(), e.rule().action().name().toLowerCase(Locale.ROOT), now);
            InetAddress target = e.blockTarget();
            if (target != null && !trunk.test(target) && blocks.block(target, e.rule().fwsam().seconds(), e.rule().msg(), e.rule().sid(), now) != null
                    && target.equals(p.src())) {
                drop = true;
            }
        }
        return drop;
    }

    private void alert(long sid, int rev, String msg, String classtype, String source, String destination, String action, long now) {
        raised.incrementAndGet();
        alerts.alert(sid, rev, msg, classtype, source, destination, action, now);
    }

    private static final byte[][] CREDENTIAL_HEADERS = { "authorization".getBytes(StandardCharsets.US_ASCII),
            "proxy-authorization".getBytes(StandardCharsets.US_ASCII) };

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + 32 : b;
    }

    /**
     * Whether a SIP message carries credentials: an Authorization or Proxy-Authorization header
     * (any case, spaces before the colon) in its head, the first 8 KiB at most. Reads the bytes in
     * place: it runs for every packet from a source with a binding.
     */
    public static boolean carriesCredentials(byte[] data, int length) {
        int end = Math.min(length, 8192);
        for (int i = 0; i < end; i++) {
            if (data[i] != '\n') {
                continue;
            }
            int h = i + 1;
            if (h < end && (data[h] == '\r' || data[h] == '\n')) {
                return false; // the blank line: the head is over
            }
            for (byte[] name : CREDENTIAL_HEADERS) {
                int k = h;
                int n = 0;
                while (n < name.length && k < end && lower(data[k]) == name[n]) {
                    k++;
                    n++;
                }
                if (n == name.length) {
                    while (k < end && (data[k] == ' ' || data[k] == '\t')) {
                        k++;
                    }
                    if (k < end && data[k] == ':') {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
