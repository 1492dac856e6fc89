package org.besip.core.api.system;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;

/**
 * The Linux capabilities besip needs when it does not run as root (docs/install.md): a feature
 * asks before it tries, and says once, in the log and on its page, what it lacks instead of
 * failing with a bare "operation not permitted".
 */
public enum Capability {

    /** Ports below 1024: SIP on 5060 needs none, NETCONF on 830 does. */
    NET_BIND_SERVICE(10),
    /** nftables: the kernel's blocks. */
    NET_ADMIN(12),
    /** Packet capture: the security module's and the monitoring module's. */
    NET_RAW(13);

    private static final Set<String> SAID = ConcurrentHashMap.newKeySet();
    private static volatile BigInteger effective;

    private final int bit;

    Capability(int bit) {
        this.bit = bit;
    }

    /** The capability's name as systemd and capsh spell it, e.g. {@code CAP_NET_RAW}. */
    public String capName() {
        return "CAP_" + name();
    }

    /** Whether this process holds it (its effective set, from {@code /proc/self/status}); true where that cannot be read. */
    public boolean held() {
        BigInteger e = effective;
        if (e == null) {
            e = read(Path.of("/proc/self/status"));
            effective = e;
        }
        return e.testBit(bit);
    }

    /** The effective set in a {@code /proc/<pid>/status} file; all bits set when the file has none (not Linux). */
    static BigInteger read(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("CapEff:")) {
                    return new BigInteger(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: assume allowed, and let the feature's own error speak
        }
        return BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    }

    /**
     * Null when the process holds this capability; else the sentence that says what
     * {@code feature} lacks, logged as a warning the first time it is asked for that feature
     * (so a feature tried at every commit says it once).
     *
     * @param feature what needs it, e.g. "monitoring: capture on [eth0]"
     */
    public String lacking(String feature, Logger log) {
        if (held()) {
            return null;
        }
        String why = feature + " needs " + capName() + ", which this box runs without (it is not root): grant it "
                + "(systemd: AmbientCapabilities=" + capName() + "; see docs/install.md)";
        if (SAID.add(feature + "|" + name())) {
            log.warn(why);
        }
        return why;
    }

    /**
     * Nothing when the process holds this capability; else throws what {@link #lacking} says (and
     * logged, once), for a feature that cannot start without it.
     */
    public void require(String feature, Logger log) throws MissingCapabilityException {
        String why = lacking(feature, log);
        if (why != null) {
            throw new MissingCapabilityException(why);
        }
    }
}
