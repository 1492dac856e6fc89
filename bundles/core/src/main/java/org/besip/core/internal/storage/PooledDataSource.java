package org.besip.core.internal.storage;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.ConcurrentLinkedDeque;
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
 */
final class PooledDataSource implements DataSource {

    static final int MAX_IDLE = 2;

    private final DataSource target;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    PooledDataSource(DataSource target) {
        this.target = target;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (!c.isClosed()) {
                return wrap(c);
            }
        }
        return wrap(target.getConnection());
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

    private void giveBack(Connection real) throws SQLException {
        try {
            if (!real.isClosed() && !real.getAutoCommit()) {
                real.rollback(); // a transaction its caller left open is not the next caller's
                real.setAutoCommit(true);
            }
        } catch (SQLException e) {
            real.close();
            return;
        }
        if (real.isClosed() || idle.size() >= MAX_IDLE) {
            real.close();
        } else {
            idle.offerFirst(real);
        }
    }

    /** Closes the connections waiting (the store is going away). */
    void closeIdle() {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
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
