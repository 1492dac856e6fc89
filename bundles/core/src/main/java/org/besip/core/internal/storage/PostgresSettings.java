package org.besip.core.internal.storage;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where a fleet's shared PostgreSQL is and how this box logs in: from {@code besip-system}'s
 * {@code storage/postgresql}, through ConfigAdmin (pid {@value DataStoresComponent#PID}).
 *
 * @param url {@code jdbc:postgresql://host[:port]/database[?parameters]}
 * @param poolSize how many connections each module's store may hold open at once
 */
public record PostgresSettings(String url, String user, String password, int poolSize) {

    /** Host (name, IPv4 or [IPv6]), optional port, database; parameters as pgjdbc takes them. */
    static final Pattern URL = Pattern.compile(
            "jdbc:postgresql://([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\])(:[0-9]{1,5})?/[A-Za-z0-9_-]{1,63}(\\?[A-Za-z0-9_=&.%-]{0,512})?");
    static final int MIN_PASSWORD = 10;
    public static final int DEFAULT_POOL = 3;

    /** Why these settings cannot be used, or null when they can (before any connection is tried). */
    public String problem() {
        if (url == null || !URL.matcher(url).matches()) {
            return "the PostgreSQL URL must be jdbc:postgresql://host[:port]/database[?parameters], not '" + url + "'";
        }
        if (user == null || user.isBlank()) {
            return "a PostgreSQL user is needed";
        }
        if (password == null || password.length() < MIN_PASSWORD) {
            return "the PostgreSQL password must be at least " + MIN_PASSWORD + " characters";
        }
        if (password.equals(user) || password.chars().allMatch(Character::isDigit)) {
            return "the PostgreSQL password is too weak (the user's name, or only digits)";
        }
        if (poolSize < 1 || poolSize > 16) {
            return "the pool size must be 1 to 16 connections";
        }
        return null;
    }

    /** From ConfigAdmin's properties ({@code backend=postgresql} and these); null for the embedded store. */
    static PostgresSettings from(Map<String, ?> props) {
        if (props == null || !"postgresql".equals(String.valueOf(props.get("backend")))) {
            return null;
        }
        Object pool = props.get("pool-size");
        int size = DEFAULT_POOL;
        if (pool != null) {
            try {
                size = Integer.parseInt(pool.toString());
            } catch (NumberFormatException e) {
                size = -1;
            }
        }
        return new PostgresSettings(string(props.get("url")), string(props.get("user")), string(props.get("password")), size);
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }

    @Override
    public String toString() {
        return "PostgreSQL " + url + " as " + user + " (" + poolSize + " connections per module)"; // never the password
    }
}
