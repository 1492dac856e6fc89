package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The install read-only, as on a router's root file system: in a mount namespace of its own
 * ({@code unshare -m}), the distribution is bind-mounted read-only over itself, and the box boots
 * from it, is configured over NETCONF, registers phones and carries calls, with everything it
 * writes under BESIP_DATA (its deploy folder included).
 */
class ReadOnlyInstallIT {

    @TempDir
    Path work;

    @Test
    void theBoxBootsConfiguresRegistersAndCallsFromAReadOnlyInstall() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "a mount namespace needs root (CI runs as root)");
        Path dist = BesipOptions.dist();
        List<String> readOnly = List.of("setsid", "-w", "unshare", "-m", "--propagation", "private", "sh", "-c",
                "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && if touch \"$0/.rw\" 2>/dev/null; then"
                        + " echo 'the install is writable' >&2; exit 9; fi && exec \"$0/bin/besip\"",
                dist.toString());
        BesipProcess box = BesipProcess.start(work.resolve("data"), BesipOptions.freePort(), Map.of(), readOnly);
        try (box) {
            box.awaitOutput("besip: ready in ");
            assertTrue(Files.isDirectory(box.data().resolve("deploy")), "the writable deploy folder is in the data directory");
            assertTrue(Files.exists(box.data().resolve("logs/besip.log")), "and so is the log");
            NetconfIT.pbxUsers(box, work, 3);
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            int phone;
            try (java.net.DatagramSocket free = new java.net.DatagramSocket(0)) {
                phone = free.getLocalPort();
            }
            PbxIT.sipp(work, box, 1, "u1", phone); // user0 registers from the phone's port
            PbxIT.callUser0(work, box, phone, 2);
            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            assertEquals(3, cdrs.body().split("\r\n").length, "two CDRs:\n" + cdrs.body());
        }
        assertTrue(!Files.exists(dist.resolve(".rw")), "nothing was written into the install");
    }
}
