package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management doors listen where {@code besip-system} says: an address no interface has is
 * refused at validation (the door would be lost), and a loopback address moves the NETCONF door
 * and the Web Console there, away from where the box was started.
 */
class ListenAddressIT {

    @TempDir
    Path work;

    @Test
    void theDoorsMoveToTheConfiguredAddressesAndAnAddressTheBoxLacksIsRefused() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.runOn(box, "door_address_refused", "192.0.2.1");
            NetconfIT.runOn(box, "move_doors", "127.0.0.3", "127.0.0.2");

            BesipProcess.awaitTcp("127.0.0.3", box.netconfPort(), true, 20_000);
            BesipProcess.awaitTcp("127.0.0.1", box.netconfPort(), false, 20_000);
            BesipProcess.awaitTcp("127.0.0.2", box.port(), true, 20_000);
            BesipProcess.awaitTcp("127.0.0.1", box.port(), false, 20_000);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + box.port() + "/system/console/besip-modules"))
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + box.password()).getBytes()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "the Web Console answers at its new address");
        }
    }
}
