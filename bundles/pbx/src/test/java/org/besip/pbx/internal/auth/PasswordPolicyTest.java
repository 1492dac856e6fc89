package org.besip.pbx.internal.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class PasswordPolicyTest {

    final PasswordPolicy policy = PasswordPolicy.shipped();

    @Test
    void weakSecretsAreRefusedWithTheRuleTheyBreak() {
        assertEquals("is shorter than 10 characters", policy.weakness("alice", "101", "1234"));
        assertEquals("is shorter than 10 characters", policy.weakness("alice", "101", "s3cret"));
        assertEquals("is the user name", policy.weakness("alicesmith", null, "AliceSmith"));
        assertEquals("is the user name", policy.weakness("receptionist", null, "receptionist1"));
        assertEquals("is the extension", policy.weakness("bob", "123456", "123456123456"), "the extension over and over");
        assertEquals("is only digits", policy.weakness("bob", "101", "4829103756"));
        assertEquals("is a common password", policy.weakness("bob", "101", "Password123"), "compared case-insensitively");
        assertEquals("is a common password", policy.weakness("bob", "101", "qwertyuiop"));
        assertEquals("is a common password", policy.weakness("bob", "101", "1qaz2wsx3edc"));
    }

    @Test
    void aStrongSecretPasses() {
        assertNull(policy.weakness("alice", "101", "Sup3r-secret-pw"));
        assertNull(policy.weakness("bob", "102", "correct horse battery staple"));
        assertNull(policy.weakness("carol", null, "alice-and-carol-2026"), "another user's name inside a long secret is fine");
    }

    @Test
    void theShippedListIsLoadedFromTheBundle() {
        assertEquals("is a common password", policy.weakness("x", null, "administrator"));
        assertEquals("is a common password", policy.weakness("x", null, "PASSWORD1234"));
    }
}
