package org.besip.monitoring.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.Map;

import org.besip.core.api.quality.ImpairmentTable;
import org.besip.core.api.quality.QualityResult;
import org.besip.core.api.quality.StreamKey;
import org.besip.core.api.quality.StreamStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class QualityStoreTest {

    @TempDir
    Path dir;

    static QualityResult result(String src, String codec, double loss) {
        StreamStats s = new StreamStats(new StreamKey(1, src, 4000, "127.0.0.1", 5000), codec, 8, 0, 1, 50, 50, 0, 0, 0, 0,
                loss, 1, 0.1, 0.1, 0.2, 20, 20, 20);
        return QualityResult.of(s, ImpairmentTable.defaults(true), null, 20, 0);
    }

    @Test
    void streamsAreKeptFilteredAveragedAndPruned() throws Exception {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("m.db"));
        QualityStore store = new QualityStore(ds);
        long now = 1_795_700_000_000L;
        store.add(result("127.0.0.2", "PCMA", 0), now - 10 * 86_400_000L, "old@pbx");
        store.add(result("127.0.0.3", "PCMA", 5), now - 60_000, null);
        store.add(result("127.0.0.4", "OPUS", 0), now, null);
        assertEquals(3, store.recent(0, null, 10).size());
        assertEquals(1, store.recent(0, "127.0.0.3", 10).size(), "filter by address");
        assertEquals(2, store.recent(now - 120_000, null, 10).size(), "filter by time");
        assertEquals("old@pbx", store.recent(0, "127.0.0.2", 10).get(0).callId());
        assertNull(store.recent(0, "127.0.0.4", 10).get(0).mos(), "an unscored codec stores no MOS");
        double expected = result("127.0.0.3", "PCMA", 5).mos();
        assertEquals(expected, store.meanMos(now - 120_000), 1e-9, "the unscored stream does not count");
        assertNull(store.meanMos(now + 1));

        assertEquals(1, store.prune(now, 7 * 86_400_000L, 1000), "older than 7 days");
        assertEquals(1, store.prune(now, 7 * 86_400_000L, 1), "beyond the newest one");
        assertEquals("127.0.0.4:4000", store.recent(0, null, 10).get(0).src());
        assertEquals(1, store.recent(0, "%", 10).size(), "SQL wildcards in the filter are taken literally");
    }
}
