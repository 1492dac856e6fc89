package org.besip.pbx.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQL writes off the SIP transport thread: one background thread, in order, with a bounded queue;
 * when the queue is full a write is dropped and logged rather than blocking signalling.
 */
public final class BackgroundWriter implements AutoCloseable {

    public static final int MAX_PENDING = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundWriter.class);

    private final DataSource ds;
    private final String what;
    private final ExecutorService executor;

    /** @param what names the store in thread names and log lines, e.g. {@code cdr} */
    public BackgroundWriter(DataSource ds, String what) {
        this.ds = ds;
        this.what = what;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_PENDING), r -> {
            Thread t = new Thread(r, "pbx-" + what);
            t.setDaemon(true);
            return t;
        }, (r, e) -> LOG.warn("{} store busy: a write was dropped", what));
    }

    /** Queues one statement with its arguments. */
    public void write(String sql, Object... args) {
        executor.execute(() -> run(sql, args));
    }

    /** Queues a task that computes its statement when it runs (so the last write holds the latest value). */
    public void execute(Runnable task) {
        executor.execute(task);
    }

    /** Queues a task and returns its future, for a write the caller must see on disk. */
    public Future<?> submit(Runnable task) {
        return executor.submit(task);
    }

    /** Runs one statement now, on the calling thread. */
    public void run(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("{} write failed: {}", what, e.getMessage());
        }
    }

    /** Waits (bounded) for the pending writes, then stops; says whether all were written. */
    @Override
    public void close() throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("{} writes still pending at stop", what);
            executor.shutdownNow();
        }
    }
}
