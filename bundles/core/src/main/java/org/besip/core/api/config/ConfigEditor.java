package org.besip.core.api.config;

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
}
