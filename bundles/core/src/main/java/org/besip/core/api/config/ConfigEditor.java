package org.besip.core.api.config;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Changes the running configuration from inside the box (a module's web page, say) through the
 * same door as NETCONF: the edit is merged into running, validated against the schema and
 * committed through every affected {@link ConfigApplier}, or refused as a whole. So a page and
 * a NETCONF client never disagree about what is configured.
 */
@ProviderType
public interface ConfigEditor {

    /**
     * @param config a {@code <config>} element's content as XML text: top-level nodes in their
     *               YANG modules' namespaces, merged as NETCONF's edit-config merge would
     * @throws ConfigRejectedException with the path and reason when validation or a module refuses
     */
    void merge(String config) throws ConfigRejectedException;

    /** A commit kept in the rollback history: its number, when (epoch ms), who (empty: the box), the modules it changed, what it was. */
    record Commit(long id, long timeMs, String user, List<String> modules, String note) {
    }

    /** The commits of running kept in the rollback history, newest first. Since 1.5. */
    List<Commit> commits();

    /**
     * Running goes back to commit {@code id}'s configuration, validated and applied like a
     * commit, on behalf of {@code user}. Since 1.5.
     * @throws ConfigRejectedException no such commit is kept, or validation or a module refuses
     */
    void rollback(long id, String user) throws ConfigRejectedException;
}
