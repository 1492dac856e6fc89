package org.besip.pbx.internal.auth;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The secrets a SIP user may have: at least {@value #MIN_LENGTH} characters, not the user's name
 * or extension, not only digits (a short number's space is searched in minutes by svcrack), and
 * not one of the common passwords shipped in {@code common-passwords.txt}. A user given as HA1
 * is not checked: the box cannot see the password behind it. Pure: no I/O after loading the list.
 */
public final class PasswordPolicy {

    public static final int MIN_LENGTH = 10;

    private final Set<String> common;

    public PasswordPolicy(Set<String> common) {
        Set<String> lower = new HashSet<>();
        for (String c : common) {
            lower.add(c.toLowerCase(Locale.ROOT));
        }
        this.common = Set.copyOf(lower);
    }

    /** The policy with the shipped list of common passwords. */
    public static PasswordPolicy shipped() {
        try (InputStream in = PasswordPolicy.class.getResourceAsStream("common-passwords.txt")) {
            if (in == null) {
                throw new IllegalStateException("common-passwords.txt is missing from the bundle");
            }
            Set<String> words = new HashSet<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null;) {
                line = line.trim();
                if (!line.isEmpty() && !line.startsWith("#")) {
                    words.add(line);
                }
            }
            return new PasswordPolicy(words);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rule {@code password} breaks for {@code user} (with {@code extension}, may be null), or null when it is strong enough. */
    public String weakness(String user, String extension, String password) {
        if (password.length() < MIN_LENGTH) {
            return "is shorter than " + MIN_LENGTH + " characters";
        }
        String p = password.toLowerCase(Locale.ROOT);
        if (p.equals(user.toLowerCase(Locale.ROOT)) || p.contains(user.toLowerCase(Locale.ROOT)) && p.length() < user.length() + 4) {
            return "is the user name";
        }
        if (extension != null && p.replace(extension, "").length() < 4) {
            return "is the extension";
        }
        if (p.chars().allMatch(Character::isDigit)) {
            return "is only digits";
        }
        if (common.contains(p)) {
            return "is a common password";
        }
        return null;
    }
}
