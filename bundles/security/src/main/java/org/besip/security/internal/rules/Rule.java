package org.besip.security.internal.rules;

import java.util.List;
import java.util.regex.Pattern;

/**
 * One Snort rule of the subset besip reads: the header, then the detection options ({@code content}
 * with its modifiers, {@code pcre}), the event options ({@code detection_filter}, {@code threshold})
 * and SnortSam's {@code fwsam}.
 *
 * @param origin where it came from, {@code file:line}
 */
public record Rule(Action action, String proto, AddressSet src, PortSet srcPorts, boolean bidirectional, AddressSet dst,
        PortSet dstPorts, String msg, List<Content> contents, Pcre pcre, Flags flags, Filter detectionFilter, Threshold threshold,
        String classtype, long sid, int rev, Fwsam fwsam, String origin, String text) {

    /**
     * Snort's {@code flags}: TCP flag bits (F 1, S 2, R 4, P 8, A 16, U 32, C/1 128, E/2 64) with a
     * modifier: none (exactly these, ignoring the masked bits), {@code +} (these and maybe others),
     * {@code *} (any of these), {@code !} (none of these).
     */
    public record Flags(int bits, char modifier, int ignore) {
        public boolean matches(int tcpFlags) {
            if (tcpFlags < 0) {
                return false; // not a TCP segment seen on the wire
            }
            int f = tcpFlags & ~ignore & 0xff;
            return switch (modifier) {
                case '+' -> (f & bits) == bits;
                case '*' -> (f & bits) != 0;
                case '!' -> (f & bits) == 0;
                default -> f == bits;
            };
        }
    }

    public enum Action {
        ALERT, DROP, PASS
    }

    /**
     * A {@code content} with its modifiers; {@code distance}/{@code within} are relative to the end
     * of the previous content's match ({@code within} counted from where {@code distance} puts the
     * search start), {@code offset}/{@code depth} to the start of the payload. Absent numbers are
     * -1, an absent distance (which may be negative) {@link #NO_DISTANCE}.
     */
    public record Content(byte[] bytes, boolean negated, boolean nocase, int offset, int depth, int distance, int within) {
        public static final int NO_DISTANCE = Integer.MIN_VALUE;

        public boolean relative() {
            return distance != NO_DISTANCE || within >= 0;
        }
    }

    /** A {@code pcre:"/.../flags"}, matched over the payload read as ISO-8859-1. */
    public record Pcre(Pattern pattern, boolean negated) {
    }

    /** {@code detection_filter}: the rule fires from the (count+1)-th match within {@code seconds}, per tracked address. */
    public record Filter(boolean bySrc, int count, int seconds) {
    }

    /** {@code threshold}: which of the rule's events become alerts (limit, threshold or both), per tracked address. */
    public record Threshold(Type type, boolean bySrc, int count, int seconds) {
        public enum Type {
            LIMIT, THRESHOLD, BOTH
        }
    }

    /** SnortSam's {@code fwsam}: block the source or destination of the event for {@code seconds} (0: until unblocked). */
    public record Fwsam(boolean src, long seconds) {
    }
}
