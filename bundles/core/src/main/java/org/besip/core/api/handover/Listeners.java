package org.besip.core.api.handover;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Sockets lent to a bundle by core, so that they outlive the bundle's stop, update and start: a
 * datagram that arrives while the module swaps waits in the socket's buffer for the next version,
 * a TCP phone's connection stays up. Each using bundle has its own names; what it borrowed is
 * closed when it gives it back ({@link #release}) or when the bundle is uninstalled, never when it
 * stops.
 *
 * <p>Channels are lent in blocking mode as bound; a borrower that switches one to non-blocking (to
 * register it with its own selector) must not close it: closing is {@link #release}'s. Closing a
 * borrower's selector cancels its keys and leaves the channels open for the next borrower.
 */
@ProviderType
public interface Listeners {

    /**
     * The UDP socket named {@code name}: the one already lent under that name when it is bound to
     * {@code bind}, else a new one bound to it (the old one, bound elsewhere, is closed).
     *
     * @throws IOException the address cannot be bound (in use, not local, no permission)
     */
    DatagramChannel udp(String name, InetSocketAddress bind) throws IOException;

    /** The TCP listening socket named {@code name}, as {@link #udp}. */
    ServerSocketChannel tcp(String name, InetSocketAddress bind) throws IOException;

    /**
     * Leaves accepted connections with core until the next borrower of {@code name} takes them;
     * each with what was read of it and not yet handled (may be empty). Replaces what was parked
     * before under the name.
     */
    void park(String name, List<Parked> connections);

    /** Takes the connections parked under {@code name} (empty when none); they are the caller's to close from now on. */
    List<Parked> unpark(String name);

    /** Closes the sockets lent under {@code name} and the connections parked under it; nothing when none. */
    void release(String name);

    /** The names the calling bundle holds sockets under. */
    List<String> names();

    /** An accepted TCP connection with the bytes read from it that were not yet a whole message. */
    record Parked(SocketChannel channel, byte[] unread, boolean trusted) {
        public Parked {
            unread = unread == null ? new byte[0] : unread.clone();
        }

        @Override
        public byte[] unread() {
            return unread.clone();
        }
    }
}
