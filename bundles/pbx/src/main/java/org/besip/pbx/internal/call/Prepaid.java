package org.besip.pbx.internal.call;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.besip.pbx.internal.store.BackgroundWriter;

/**
 * Prepaid accounting: tariffs (longest prefix → price per minute), credit per user (kept in
 * memory for the call path, written to SQLite by a background thread), price limits (global, per
 * user, per trunk). At call setup {@link #admit} decides: refused with a status and reason, or
 * admitted with the price and, for a prepaid user, a grant: a slice of the credit that is not
 * already reserved by the account's other calls (the policy's grant, 60 s of the price by
 * default), reserved for this call. When the grant runs out the call {@link #extend}s it from
 * what is left, or ends; at its end {@link #settle} charges the cost (per second) and frees the
 * rest. So calls at once share the credit and never spend more than the account holds.
 */
public final class Prepaid implements AutoCloseable {

    /** A destination prefix and its price per minute. */
    public record Tariff(String prefix, double pricePerMinute) {
    }

    /** The users who pay in advance and the price limits; a null limit is no limit. */
    public record Policy(List<Tariff> tariffs, Set<String> prepaidUsers, Double globalMax, Map<String, Double> userMax,
            Map<String, Double> trunkMax, long grantMs, boolean untariffedFree) {
        public static final long DEFAULT_GRANT_MS = 60_000;
        public static final Policy NONE = new Policy(List.of(), Set.of(), null, Map.of(), Map.of());

        /** Grants of 60 s; a prepaid user may not call a destination without a tariff. */
        public Policy(List<Tariff> tariffs, Set<String> prepaidUsers, Double globalMax, Map<String, Double> userMax,
                Map<String, Double> trunkMax) {
            this(tariffs, prepaidUsers, globalMax, userMax, trunkMax, DEFAULT_GRANT_MS, false);
        }
    }

    /** What admission decided for a call: refused (status > 0) or the price and the longest duration (0: no limit). */
    public record Decision(int status, String reason, String user, double pricePerMinute, long maxDurationMs) {
        public boolean refused() {
            return status > 0;
        }
    }


    private final DataSource ds;
    private final Map<String, Double> credit = new ConcurrentHashMap<>();
    /** What the calls in progress hold of each account's credit, and each call's share (by Call-ID). */
    private final Map<String, Double> reserved = new java.util.HashMap<>();
    private final Map<String, Double> held = new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Double> eldest) {
            return size() > CallTracker.MAX_CALLS; // bounded; the oldest hold is given back (a call the tracker never followed)
        }
    };
    private final Map<String, String> holder = new java.util.HashMap<>();
    private volatile Policy policy = Policy.NONE;
    private volatile List<Tariff> byLength = List.of();
    private final BackgroundWriter writer;

    public Prepaid(DataSource ds) throws SQLException {
        this.ds = ds;
        this.writer = new BackgroundWriter(ds, "credit");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            // "user" is quoted: a reserved word in PostgreSQL
            st.execute("create table if not exists account (\"user\" text primary key, credit double precision not null)");
            try (ResultSet rs = st.executeQuery("select \"user\", credit from account")) {
                while (rs.next()) {
                    credit.put(rs.getString(1), rs.getDouble(2));
                }
            }
        }
    }

    public void policy(Policy p) {
        List<Tariff> sorted = new ArrayList<>(p.tariffs());
        sorted.sort(Comparator.comparingInt((Tariff t) -> t.prefix().length()).reversed());
        byLength = List.copyOf(sorted);
        policy = p;
    }

    /** The price per minute of a dialled number, or null when no tariff matches. */
    public Double price(String dialled) {
        for (Tariff t : byLength) {
            if (dialled.startsWith(t.prefix())) {
                return t.pricePerMinute();
            }
        }
        return null;
    }

    /** Decides whether {@code user} may call {@code dialled} through {@code trunk}; a prepaid admission holds its grant under the Call-ID. */
    public Decision admit(String callId, String user, String dialled, String trunk) {
        Policy p = policy;
        Double price = price(dialled);
        boolean prepaid = p.prepaidUsers().contains(user);
        if (price == null) {
            if (prepaid && !p.untariffedFree()) {
                return new Decision(403, "No Tariff For Destination", user, 0, 0);
            }
            price = 0.0;
        }
        for (Double max : new Double[] { p.globalMax(), p.userMax().get(user), p.trunkMax().get(trunk) }) {
            if (max != null && price > max) {
                return new Decision(403, "Price Limit Exceeded", user, price, 0);
            }
        }
        long maxMs = 0;
        if (prepaid && price > 0) {
            maxMs = reserve(callId, user, price, p.grantMs());
            if (maxMs < 1000) {
                return new Decision(402, "Insufficient Credit", user, price, 0);
            }
        }
        return new Decision(0, null, user, price, maxMs); // it travels with the call to the tracker (Proxy.Observer.forwarded)
    }

    /**
     * Reserves for {@code callId} a grant of at most {@code grantMs} at {@code price} from what
     * {@code user}'s credit holds beyond the other calls' reservations; returns its length in ms
     * (0 when less than a second is left, and then nothing is reserved).
     */
    private synchronized long reserve(String callId, String user, double price, long grantMs) {
        double available = credit.getOrDefault(user, 0.0) - reserved.getOrDefault(user, 0.0);
        double grant = Math.min(available, price * grantMs / 60_000.0);
        long ms = (long) (grant / price * 60_000);
        if (ms < 1000) {
            return 0;
        }
        grant = price * ms / 60_000.0;
        reserved.merge(user, grant, Double::sum);
        Double before = held.put(callId, held.getOrDefault(callId, 0.0) + grant);
        if (before == null) {
            holder.put(callId, user);
        }
        trimHolders();
        return ms;
    }

    /** Gives back the holds the bounded table evicted. */
    private void trimHolders() {
        if (holder.size() > held.size()) {
            holder.keySet().removeIf(id -> !held.containsKey(id));
            reserved.clear();
            for (Map.Entry<String, Double> h : held.entrySet()) {
                reserved.merge(holder.get(h.getKey()), h.getValue(), Double::sum);
            }
        }
    }

    /** A call whose grant ran out asks for more: the length of a new grant in ms, or 0 when the credit is used up. */
    public long extend(String callId, Decision d) {
        return reserve(callId, d.user(), d.pricePerMinute(), policy.grantMs());
    }

    /** What one call in progress holds of its user's credit. */
    public record Hold(String callId, String user, double amount) {
    }

    /** The calls' holds on credit, for the module's next version. */
    public synchronized List<Hold> holds() {
        List<Hold> out = new ArrayList<>();
        held.forEach((id, amount) -> out.add(new Hold(id, holder.get(id), amount)));
        return out;
    }

    /** Takes on the holds a previous version handed over (its calls go on here). */
    public synchronized void holds(List<Hold> handed) {
        for (Hold h : handed) {
            if (h.user() != null && !held.containsKey(h.callId())) {
                held.put(h.callId(), h.amount());
                holder.put(h.callId(), h.user());
                reserved.merge(h.user(), h.amount(), Double::sum);
            }
        }
        trimHolders();
    }

    /** What the calls in progress hold of {@code user}'s credit. */
    public synchronized double reserved(String user) {
        return reserved.getOrDefault(user, 0.0);
    }

    /** A call ended: its cost is charged (for a prepaid user) and the rest of its reservation given back; returns the credit left. */
    public double settle(String callId, String user, double cost) {
        synchronized (this) {
            Double h = held.remove(callId);
            holder.remove(callId);
            if (h != null) {
                reserved.computeIfPresent(user, (u, r) -> r - h > 1e-9 ? r - h : null);
            }
        }
        return charge(user, cost);
    }

    /** Charges {@code cost} to a prepaid user's credit; returns the credit left. */
    public double charge(String user, double cost) {
        if (cost <= 0 || !policy.prepaidUsers().contains(user)) {
            return credit.getOrDefault(user, 0.0);
        }
        double left = credit.merge(user, -cost, Double::sum);
        writer.execute(() -> save(user, credit.get(user))); // one writer: the last write holds the latest value
        return left;
    }

    /** Adds {@code amount} (may be negative, a correction) to a user's credit; returns the new credit. */
    public double topUp(String user, double amount) throws Exception {
        double now = credit.merge(user, amount, Double::sum);
        writer.submit(() -> save(user, credit.get(user))).get(10, TimeUnit.SECONDS); // durable before the RPC answers
        return now;
    }

    public Map<String, Double> credits() {
        return new TreeMap<>(credit);
    }

    private void save(String user, double value) {
        writer.run("insert into account (\"user\", credit) values (?, ?) on conflict (\"user\") do update set credit = excluded.credit",
                user, value);
    }

    @Override
    public void close() throws InterruptedException {
        writer.close();
    }
}
