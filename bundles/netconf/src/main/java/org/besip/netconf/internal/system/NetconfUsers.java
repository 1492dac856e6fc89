package org.besip.netconf.internal.system;

import java.security.PublicKey;
import java.util.List;
import java.util.Map;

import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.besip.core.api.auth.PasswordHashes;
import org.osgi.service.component.annotations.Component;

/**
 * The administrators that {@code besip-system:system/authentication} configures: their password
 * hashes and SSH keys, consulted by the NETCONF server beside the first-boot admin credentials
 * and {@code data/netconf/authorized_keys}. A service of this bundle only (private package).
 */
@Component(service = NetconfUsers.class)
public class NetconfUsers {

    /** One user as configured. */
    public record User(String passwordHash, List<PublicKey> keys) {
    }

    private volatile Map<String, User> users = Map.of();

    public void replace(Map<String, User> configured) {
        users = Map.copyOf(configured);
    }

    public boolean passwordMatches(String user, String password) {
        User u = users.get(user);
        return u != null && u.passwordHash() != null && PasswordHashes.verify(u.passwordHash(), password.toCharArray());
    }

    public boolean keyMatches(String user, PublicKey key) {
        User u = users.get(user);
        return u != null && u.keys().stream().anyMatch(k -> KeyUtils.compareKeys(k, key));
    }

    /** An authorized_keys-style key, or an exception saying what is wrong with it. */
    static PublicKey parseKey(String algorithm, String base64) throws Exception {
        AuthorizedKeyEntry e = AuthorizedKeyEntry.parseAuthorizedKeyEntry(algorithm + " " + base64.replaceAll("\\s", ""));
        if (e == null) {
            throw new IllegalArgumentException("empty key");
        }
        PublicKey key = e.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
        if (key == null) {
            throw new IllegalArgumentException("unsupported key type");
        }
        return key;
    }
}
