package org.besip.core.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminCredentialsTest {

    @TempDir
    Path data;

    @Test
    void firstBootMakesARandomPasswordInAnOwnerOnlyFileAndAcceptsIt() throws Exception {
        AtomicReference<String> shown = new AtomicReference<>();
        AdminCredentials creds = AdminCredentials.loadOrCreate(data, shown::set);
        String password = shown.get();
        assertNotNull(password);
        assertEquals(20, password.length());
        Path file = data.resolve(AdminCredentials.PASSWORD_FILE);
        assertEquals(password, Files.readString(file).trim());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(data.resolve(AdminCredentials.CREDENTIALS_FILE))));
        assertTrue(creds.verify("admin", password.toCharArray()));
    }

    @Test
    void adminAdminNeverWorks() throws Exception {
        AdminCredentials creds = AdminCredentials.loadOrCreate(data, p -> { });
        assertFalse(creds.verify("admin", "admin".toCharArray()));
        assertFalse(creds.verify("admin", new char[0]));
        assertFalse(creds.verify("root", "admin".toCharArray()));
        assertFalse(creds.verify(null, null));
    }

    @Test
    void theSecondBootKeepsThePasswordAndShowsNothing() throws Exception {
        AtomicReference<String> first = new AtomicReference<>();
        AdminCredentials.loadOrCreate(data, first::set);
        AtomicReference<String> second = new AtomicReference<>();
        AdminCredentials again = AdminCredentials.loadOrCreate(data, second::set);
        assertNull(second.get());
        assertTrue(again.verify("admin", first.get().toCharArray()));
    }

    @Test
    void loginStillWorksAfterTheOperatorDeletesThePlainTextFile() throws Exception {
        AtomicReference<String> first = new AtomicReference<>();
        AdminCredentials.loadOrCreate(data, first::set);
        Files.delete(data.resolve(AdminCredentials.PASSWORD_FILE));
        assertTrue(AdminCredentials.loadOrCreate(data, p -> { }).verify("admin", first.get().toCharArray()));
    }

    @Test
    void theCredentialsFileHoldsNoPlainPassword() throws Exception {
        AtomicReference<String> first = new AtomicReference<>();
        AdminCredentials.loadOrCreate(data, first::set);
        String stored = Files.readString(data.resolve(AdminCredentials.CREDENTIALS_FILE));
        assertFalse(stored.contains(first.get()));
        assertTrue(stored.startsWith("admin:pbkdf2-sha256:"));
    }

    @Test
    void twoBoxesGetDifferentPasswords() throws Exception {
        assertFalse(AdminCredentials.newPassword().equals(AdminCredentials.newPassword()));
    }
}
