package org.besip.security.internal.firewall;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.besip.core.api.system.Capability;
import org.besip.core.api.system.MissingCapabilityException;
import org.besip.security.internal.block.Blocklist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where blocks are enforced besides the application: the kernel backend the {@code firewall}
 * mode asks for ({@code none}, {@code nftables}, {@code auto}: nftables from the first block
 * where nft is usable, so nothing is spawned at boot), opened, switched and closed here. The
 * blocks in force go into each new backend. A table an instance that did not stop left in the
 * kernel is removed once when no backend takes it over. Not thread-safe: the security module's
 * worker thread calls it, one task at a time.
 */
public final class Enforcement {

    private static final Logger LOG = LoggerFactory.getLogger(Enforcement.class);

    /** Opens the kernel backend with these blocks in it already (address to seconds left, 0: until unblocked). */
    public interface Opener {
        Firewall open(java.util.Map<InetAddress, Long> blocks) throws IOException;
    }

    private final Opener opener;
    private final BooleanSupplier removeStale;
    private volatile Firewall firewall = Firewall.NONE;
    private String mode = "";
    private boolean pending;
    private boolean staleChecked;
    private volatile String problem;

    /** nftables through the {@code nft} command, when the box holds CAP_NET_ADMIN (root has it). */
    public Enforcement() {
        this(blocks -> {
            Capability.NET_ADMIN.require("security: nftables blocks", LOG);
            return NftablesFirewall.open(List.of("nft"), blocks);
        }, () -> Capability.NET_ADMIN.held() && NftablesFirewall.removeStale(List.of("nft")));
    }

    /** Why the kernel's blocks are not in use (a missing capability, no nft), or null. */
    public String problem() {
        return problem;
    }

    public Enforcement(Opener opener, BooleanSupplier removeStale) {
        this.opener = opener;
        this.removeStale = removeStale;
    }

    /** The backend for {@code mode}, with the blocks {@code active} at {@code nowMs} put in; nothing when the mode is the same. */
    public void use(String mode, List<Blocklist.Block> active, long nowMs) {
        if (mode.equals(this.mode)) {
            return;
        }
        if (mode.equals("auto") && active.isEmpty()) {
            Firewall old = firewall;
            firewall = Firewall.NONE;
            this.mode = mode;
            pending = true;
            old.close();
            removeStale();
            LOG.info("security: blocks enforced in the application, and in the kernel (nftables) from the first block where nft is usable");
            return;
        }
        pending = false;
        Firewall next = Firewall.NONE;
        java.util.Map<InetAddress, Long> initial = new java.util.LinkedHashMap<>();
        for (Blocklist.Block b : active) {
            initial.put(b.address(), seconds(b, nowMs));
        }
        boolean filled = false;
        if (!mode.equals("none")) {
            try {
                next = opener.open(initial); // the blocks in force go in with the table: no gap while it is made anew
                filled = true;
                problem = null;
            } catch (MissingCapabilityException e) {
                problem = e.getMessage(); // the capability's own warning said so, once
            } catch (IOException e) {
                problem = "nftables unavailable: " + e.getMessage();
                if (mode.equals("nftables")) {
                    LOG.error("security: nftables requested but unavailable ({}); blocking in the application only", e.getMessage());
                } else {
                    LOG.info("security: nftables unavailable ({}); blocking in the application only", e.getMessage());
                }
            }
        }
        Firewall old = firewall;
        firewall = next;
        this.mode = mode;
        if (old != next) {
            old.close();
        }
        if (next == Firewall.NONE) {
            removeStale();
        }
        if (!filled) {
            for (Blocklist.Block b : active) {
                next.block(b.address(), seconds(b, nowMs));
            }
        }
        LOG.info("security: blocks enforced in {}", where());
    }

    /**
     * A new block: in {@code auto} mode the first one opens the kernel backend (with every block
     * {@code active}, this one among them); otherwise it goes into the backend in use.
     */
    public void block(Blocklist.Block b, List<Blocklist.Block> active, long nowMs) {
        if (pending) {
            mode = "";
            use("auto", active, nowMs);
        }
        firewall.block(b.address(), seconds(b, nowMs)); // again when it was in active: adding an element twice changes nothing
    }

    public void unblock(InetAddress a) {
        firewall.unblock(a);
    }

    /**
     * The module stops. At a shutdown the backend is closed (the blocks stay saved, the next boot
     * puts them back); otherwise (an upgrade, a disable) the kernel's blocks stay in force with
     * their timeouts for the next start to take over: returns whether they do.
     */
    public boolean stop(boolean shutdown) {
        Firewall f = firewall;
        firewall = Firewall.NONE;
        mode = "";
        if (shutdown) {
            f.close();
            return false;
        }
        return f != Firewall.NONE;
    }

    /** The backend's name ({@code none}: the application only). */
    public String name() {
        return firewall.name();
    }

    /** Where blocks are enforced, in words. */
    public String where() {
        return firewall.name().equals("none") ? "the application" : "the application and " + firewall.name();
    }

    /** Seconds a block has left (0: until unblocked; at least 1). */
    public static long seconds(Blocklist.Block b, long nowMs) {
        return b.untilMs() == 0 ? 0 : Math.max(1, (b.untilMs() - nowMs + 999) / 1000);
    }

    private void removeStale() {
        if (!staleChecked) {
            staleChecked = true;
            if (removeStale.getAsBoolean()) {
                LOG.info("security: removed the nftables table an earlier instance left behind");
            }
        }
    }
}
