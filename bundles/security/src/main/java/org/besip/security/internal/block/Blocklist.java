package org.besip.security.internal.block;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.besip.security.internal.rules.AddressSet;

/**
 * Who is blocked, until when (SnortSam semantics): a block lasts its duration and expires by
 * itself; blocking a blocked address again keeps the later expiry; a whitelisted address (a list
 * of addresses and CIDR blocks) is never blocked. {@link #blocked} is one hash lookup, the first
 * thing the inspector does. Bounded: at most {@link #MAX} blocks; beyond that the block expiring
 * soonest gives way.
 */
public final class Blocklist {

    /** One block; {@code untilMs} 0 is until unblocked by hand. */
    public record Block(InetAddress address, long sinceMs, long untilMs, String reason, long sid) {
        public boolean expired(long now) {
            return untilMs != 0 && now >= untilMs;
        }
    }

    /** Told of every change, after it happened; must not block. */
    public interface Listener {
        void blocked(Block b);

        /** {@code why}: "expired", "manual", "whitelisted", "evicted". */
        void unblocked(Block b, String why);
    }

    public static final int MAX = 65_536;

    private final Map<InetAddress, Block> blocks = new ConcurrentHashMap<>();
    private volatile List<AddressSet.Cidr> whitelist = List.of();
    private volatile Listener listener = new Listener() {
        @Override
        public void blocked(Block b) {
        }

        @Override
        public void unblocked(Block b, String why) {
        }
    };

    public void listener(Listener l) {
        this.listener = l;
    }

    /** Sets the whitelist; blocks of addresses now whitelisted are lifted. */
    public void whitelist(List<AddressSet.Cidr> cidrs) {
        this.whitelist = List.copyOf(cidrs);
        for (Block b : List.copyOf(blocks.values())) {
            if (whitelisted(b.address()) && blocks.remove(b.address(), b)) {
                listener.unblocked(b, "whitelisted");
            }
        }
    }

    public List<AddressSet.Cidr> whitelist() {
        return whitelist;
    }

    public boolean whitelisted(InetAddress a) {
        for (AddressSet.Cidr c : whitelist) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code a} is blocked at {@code now}; an expired block is lifted on the way. */
    public boolean blocked(InetAddress a, long now) {
        Block b = blocks.get(a);
        if (b == null) {
            return false;
        }
        if (b.expired(now)) {
            if (blocks.remove(a, b)) {
                listener.unblocked(b, "expired");
            }
            return false;
        }
        return true;
    }

    /**
     * Blocks {@code a} for {@code seconds} (0: until unblocked); returns the block in force, or null
     * when {@code a} is whitelisted.
     */
    public Block block(InetAddress a, long seconds, String reason, long sid, long now) {
        if (whitelisted(a)) {
            return null;
        }
        Block wanted = new Block(a, now, seconds == 0 ? 0 : now + seconds * 1000, reason, sid);
        Block[] result = new Block[1];
        boolean[] added = new boolean[1];
        blocks.compute(a, (k, old) -> {
            if (old != null && !old.expired(now) && (old.untilMs() == 0 || wanted.untilMs() != 0 && old.untilMs() >= wanted.untilMs())) {
                result[0] = old; // already blocked at least as long
                return old;
            }
            added[0] = true;
            result[0] = wanted;
            return wanted;
        });
        if (added[0]) {
            if (blocks.size() > MAX) {
                evictSoonest(a);
            }
            listener.blocked(result[0]);
        }
        return result[0];
    }

    private void evictSoonest(InetAddress keep) {
        blocks.values().stream().filter(b -> !b.address().equals(keep) && b.untilMs() != 0).min(Comparator.comparingLong(Block::untilMs))
                .ifPresent(b -> {
                    if (blocks.remove(b.address(), b)) {
                        listener.unblocked(b, "evicted");
                    }
                });
    }

    /** Puts back a block read from storage (no event: it was announced when it was made). */
    public void restore(Block b, long now) {
        if (!b.expired(now) && !whitelisted(b.address()) && blocks.size() < MAX) {
            blocks.merge(b.address(), b, (old, neu) -> old.untilMs() == 0 || neu.untilMs() != 0 && old.untilMs() >= neu.untilMs() ? old : neu);
        }
    }

    public boolean unblock(InetAddress a) {
        Block b = blocks.remove(a);
        if (b != null) {
            listener.unblocked(b, "manual");
        }
        return b != null;
    }

    /** Lifts the blocks whose time is over; returns them. */
    public List<Block> expire(long now) {
        List<Block> gone = new ArrayList<>();
        for (Block b : List.copyOf(blocks.values())) {
            if (b.expired(now) && blocks.remove(b.address(), b)) {
                gone.add(b);
                listener.unblocked(b, "expired");
            }
        }
        return gone;
    }

    /** The blocks in force, the newest first. */
    public List<Block> active(long now) {
        return blocks.values().stream().filter(b -> !b.expired(now)).sorted(Comparator.comparingLong(Block::sinceMs).reversed()).toList();
    }

    public int size() {
        return blocks.size();
    }
}
