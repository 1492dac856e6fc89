package org.besip.core.internal.storage;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * Keeps a few SQLite connections open for reuse: opening one (the file, the WAL, the pragmas)
 * and closing it cost more than a small insert. A profile of the box under REGISTER load found
 * the security alerts' and the bindings' writes spending their time in SQLite's open and close.
 * A connection handed out is one caller's until it closes it; its close puts it back, with any
 * transaction left open rolled back and auto-commit on again, unless {@link #MAX_IDLE} are
 * already waiting.
 *
 * <p>For a database over the network (PostgreSQL) the pool also bounds how many connections are
 * open at once, a caller waiting up to {@link #WAIT_MS} for one before an error says the store is
 * busy, and a connection that waited idle longer than {@link #CHECK_IDLE_MS} is checked before it
 * is handed out (the server may have restarted or dropped it meanwhile).
 */
final class PooledDataSource implements DataSource {

    static final int MAX_IDLE = 2;
    static final long WAIT_MS = 10_000;
    static final long CHECK_IDLE_MS = 30_000;

    /** Run on each new connection before its first use (e.g. to make the module's schema). */
    interface Init {
        void prepare(Connection c) throws SQLException;
    }

    private record Idle(Connection real, long since) {
    }

    private final DataSource target;
    private final int maxOpen;
    private final Semaphore open;
    private final Init init;
    private final ConcurrentLinkedDeque<Idle> idle = new ConcurrentLinkedDeque<>();

    PooledDataSource(DataSource target) {
        this(target, Integer.MAX_VALUE, null);
    }

    /** @param maxOpen how many connections may be open at once, idle ones included */
    PooledDataSource(DataSource target, int maxOpen, Init init) {
        this.target = target;
        this.maxOpen = maxOpen;
        this.open = maxOpen == Integer.MAX_VALUE ? null : new Semaphore(maxOpen, true);
        this.init = init;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Idle i;
        while ((i = idle.pollFirst()) != null) {
            if (usable(i)) {
                return wrap(i.real());
            }
            discard(i.real());
        }
        if (open != null) {
            try {
                if (!open.tryAcquire(WAIT_MS, TimeUnit.MILLISECONDS)) {
                    throw new SQLException("the store is busy: all " + maxOpen + " of its connections are in use", "08004");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for a connection", "08004", e);
            }
        }
        Connection real = null;
        try {
            real = target.getConnection();
            if (init != null) {
                init.prepare(real);
            }
            return wrap(real);
        } catch (SQLException | RuntimeException e) {
            if (real != null) {
                try {
                    real.close();
                } catch (SQLException ignored) {
                    // it is gone either way
                }
            }
            release();
            throw e;
        }
    }

    private static boolean usable(Idle i) throws SQLException {
        if (i.real().isClosed()) {
            return false;
        }
        return System.currentTimeMillis() - i.since() < CHECK_IDLE_MS || i.real().isValid(2);
    }

    private void discard(Connection real) {
        try {
            real.close();
        } catch (SQLException e) {
            // closing anyway
        }
        release();
    }

    private void release() {
        if (open != null) {
            open.release();
        }
    }

    private Connection wrap(Connection real) {
        AtomicBoolean closed = new AtomicBoolean();
        InvocationHandler h = (proxy, method, args) -> {
            switch (method.getName()) {
                case "close" -> {
                    if (closed.compareAndSet(false, true)) {
                        giveBack(real);
                    }
                    return null;
                }
                case "isClosed" -> {
                    return closed.get() || real.isClosed();
                }
                case "unwrap" -> {
                    return ((Class<?>) args[0]).isInstance(real) ? real : real.unwrap((Class<?>) args[0]);
                }
                default -> {
                    if (closed.get()) {
                        throw new SQLException("the connection is closed");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            }
        };
        return (Connection) Proxy.newProxyInstance(PooledDataSource.class.getClassLoader(), new Class<?>[] { Connection.class }, h);
    }

    private void giveBack(Connection real) {
        try {
            if (!real.isClosed() && !real.getAutoCommit()) {
                real.rollback(); // a transaction its caller left open is not the next caller's
                real.setAutoCommit(true);
            }
            if (!real.isClosed() && idle.size() < MAX_IDLE) {
                idle.offerFirst(new Idle(real, System.currentTimeMillis()));
                return;
            }
        } catch (SQLException e) {
            // not fit to keep
        }
        discard(real);
    }

    /** Closes the connections waiting (the store is going away). */
    void closeIdle() {
        Idle i;
        while ((i = idle.pollFirst()) != null) {
            discard(i.real());
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : target.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || target.isWrapperFor(iface);
    }
}
