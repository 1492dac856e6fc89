package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
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

            awaitListening("127.0.0.3", box.netconfPort(), true);
            awaitListening("127.0.0.1", box.netconfPort(), false);
            awaitListening("127.0.0.2", box.port(), true);
            awaitListening("127.0.0.1", box.port(), false);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + box.port() + "/system/console/besip-modules"))
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + box.password()).getBytes()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "the Web Console answers at its new address");
        }
    }

    private static void awaitListening(String host, int port, boolean listening) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        boolean now = !listening;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                now = true;
            } catch (IOException e) {
                now = false;
            }
            if (now == listening) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(host + ":" + port + (listening ? " never listened" : " still listens"));
    }
}
