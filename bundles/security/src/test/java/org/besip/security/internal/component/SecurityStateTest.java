package org.besip.security.internal.component;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.besip.security.internal.engine.Windows;
import org.junit.jupiter.api.Test;

class SecurityStateTest {

    @Test
    void countersEncodedAreDecodedAndBadBytesRefused() throws Exception {
        Windows.Entry v4 = new Windows.Entry(InetAddress.getByName("192.0.2.7"), 1_000, 9);
        Windows.Entry v6 = new Windows.Entry(InetAddress.getByName("2001:db8::7"), 2_000, 3);
        SecurityState s = new SecurityState(List.of(v4), Map.of(1000001L, List.of(List.of(v4, v6), List.of(), List.of(v6), List.of())));
        byte[] b = s.encode();
        assertEquals(s, SecurityState.decode(b));
        assertThrows(IOException.class, () -> SecurityState.decode(Arrays.copyOf(b, b.length - 1)));
        assertThrows(IOException.class, () -> SecurityState.decode(Arrays.copyOf(b, b.length + 2)));
        byte[] bad = b.clone();
        bad[4] = 5; // the first address's length byte
        assertThrows(IOException.class, () -> SecurityState.decode(bad));
    }
}
