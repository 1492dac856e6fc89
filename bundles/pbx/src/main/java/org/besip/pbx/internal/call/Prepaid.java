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
 * admitted with the price and, for a prepaid user, the longest the credit pays for. At the end the
 * cost (per second) is charged.
 */
public final class Prepaid implements AutoCloseable {

    /** A destination prefix and its price per minute. */
    public record Tariff(String prefix, double pricePerMinute) {
    }

    /** The users who pay in advance and the price limits; a null limit is no limit. */
    public record Policy(List<Tariff> tariffs, Set<String> prepaidUsers, Double globalMax, Map<String, Double> userMax,
            Map<String, Double> trunkMax) {
        public static final Policy NONE = new Policy(List.of(), Set.of(), null, Map.of(), Map.of());
    }

    /** What admission decided for a call: refused (status > 0) or the price and the longest duration (0: no limit). */
    public record Decision(int status, String reason, String user, double pricePerMinute, long maxDurationMs) {
        public boolean refused() {
            return status > 0;
        }
    }


    private final DataSource ds;
    private final Map<String, Double> credit = new ConcurrentHashMap<>();
    private final Map<String, Decision> admitted = new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Decision> eldest) {
            return size() > CallTracker.MAX_CALLS;
        }
    };
    private volatile Policy policy = Policy.NONE;
    private volatile List<Tariff> byLength = List.of();
    private final BackgroundWriter writer;

    public Prepaid(DataSource ds) throws SQLException {
        this.ds = ds;
        this.writer = new BackgroundWriter(ds, "credit");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table if not exists account (user text primary key, credit real not null)");
            try (ResultSet rs = st.executeQuery("select user, credit from account")) {
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

    /** Decides whether {@code user} may call {@code dialled} through {@code trunk}; remembers an admission by Call-ID. */
    public Decision admit(String callId, String user, String dialled, String trunk) {
        Policy p = policy;
        Double price = price(dialled);
        boolean prepaid = p.prepaidUsers().contains(user);
        if (price == null) {
            if (prepaid) {
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
            double left = credit.getOrDefault(user, 0.0);
            maxMs = (long) (left / price * 60_000);
            if (maxMs < 1000) {
                return new Decision(402, "Insufficient Credit", user, price, 0);
            }
        }
        Decision d = new Decision(0, null, user, price, maxMs);
        synchronized (admitted) {
            admitted.put(callId, d);
        }
        return d;
    }

    /** The admission of a call, once (null when the call was not priced). */
    public Decision take(String callId) {
        synchronized (admitted) {
            return admitted.remove(callId);
        }
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
        writer.run("insert or replace into account (user, credit) values (?, ?)", user, value);
    }

    @Override
    public void close() throws InterruptedException {
        writer.close();
    }
}
