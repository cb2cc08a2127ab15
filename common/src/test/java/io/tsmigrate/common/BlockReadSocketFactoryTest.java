package io.tsmigrate.common;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class BlockReadSocketFactoryTest {

    @Test
    void reads_what_was_sent_through_one_buffered_stream() throws Exception {
        byte[] sent = new byte[3 * BlockReadSocketFactory.BLOCK + 12345];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = (byte) (i * 31 + (i >>> 9));
        }
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    // Small writes and one large one: each read returns what has arrived.
                    out.write(sent, 0, 7);
                    out.flush();
                    out.write(sent, 7, sent.length - 7);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket s = new BlockReadSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                InputStream in = s.getInputStream();
                assertThat(s.getInputStream()).as("one stream, so no buffered byte is skipped").isSameAs(in);
                byte[] first = new byte[7];
                assertThat(in.readNBytes(first, 0, 7)).isEqualTo(7);
                byte[] rest = in.readAllBytes();
                writer.join();
                byte[] got = new byte[7 + rest.length];
                System.arraycopy(first, 0, got, 0, 7);
                System.arraycopy(rest, 0, got, 7, rest.length);
                assertThat(Arrays.equals(got, sent)).isTrue();
            }
        }
    }
}
