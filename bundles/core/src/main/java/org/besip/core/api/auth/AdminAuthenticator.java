package org.besip.core.api.auth;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Checks the box's administrator credentials (created at first boot, design §6). Used by the
 * Web Console and the NETCONF server, so that both doors take the same password.
 */
@ProviderType
public interface AdminAuthenticator {

    /** {@code true} only for a known user with the right password; never for admin/admin. */
    boolean authenticate(String user, char[] password);
}
