package org.besip.core.internal.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.besip.core.api.auth.PasswordHashes;

/**
 * The box's administrator credentials. At first boot a random password is made for user
 * {@code admin}, written to {@code admin-password.txt} (owner read/write only) for the operator
 * and, hashed with PBKDF2, to {@code admin-credentials}, which is what logins are checked
 * against. Nothing is built in: admin/admin never works.
 */
public final class AdminCredentials {

    public static final String USER = "admin";
    public static final String PASSWORD_FILE = "admin-password.txt";
    public static final String CREDENTIALS_FILE = "admin-credentials";
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final int PASSWORD_LENGTH = 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, String> hashes;
    /** Successful checks, by digest of user and password, so that a page's many requests cost one PBKDF2. */
    private final Map<String, Boolean> recent = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 16;
        }
    };

    private AdminCredentials(Map<String, String> hashes) {
        this.hashes = hashes;
    }

    /**
     * Loads the credentials from {@code dataDir}, creating them first if there are none.
     *
     * @param firstBoot receives the new password when this call created it
     */
    public static AdminCredentials loadOrCreate(Path dataDir, java.util.function.Consumer<String> firstBoot)
            throws IOException {
        Path creds = dataDir.resolve(CREDENTIALS_FILE);
        if (!Files.exists(creds)) {
            String password = newPassword();
            writeOwnerOnly(dataDir.resolve(PASSWORD_FILE), password + "\n");
            writeOwnerOnly(creds, USER + ":" + hash(password.toCharArray()) + "\n");
            firstBoot.accept(password);
        }
        Map<String, String> hashes = new HashMap<>();
        for (String line : Files.readAllLines(creds, StandardCharsets.UTF_8)) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                hashes.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        if (hashes.isEmpty()) {
            throw new IOException(creds + " holds no user; delete it to have a new admin password made");
        }
        return new AdminCredentials(hashes);
    }

    public boolean verify(String user, char[] password) {
        String stored = user == null ? null : hashes.get(user);
        if (stored == null || password == null) {
            return false;
        }
        String key = digest(user, password);
        synchronized (recent) {
            if (recent.containsKey(key)) {
                return true;
            }
        }
        boolean ok = PasswordHashes.verify(stored, password);
        if (ok) {
            synchronized (recent) {
                recent.put(key, Boolean.TRUE);
            }
        }
        return ok;
    }

    static String newPassword() {
        StringBuilder sb = new StringBuilder(PASSWORD_LENGTH);
        for (int i = 0; i < PASSWORD_LENGTH; i++) {
            sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    static String hash(char[] password) {
        return PasswordHashes.hash(password);
    }

    private static String digest(String user, char[] password) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(user.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(new String(password).getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(md.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Created with rw------- from the start, so there is no moment where others can read it. */
    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(file + " appeared while it was being created", e);
        }
        Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
    }
}
