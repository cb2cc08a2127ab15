package io.tsmigrate.common;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

import javax.net.SocketFactory;

/**
 * Sockets whose input is read from the kernel in blocks of up to 256 KiB. pgjdbc reads its socket 8 KiB at a time,
 * a system call per 8 KiB, which a copy streaming gigabytes from a server pays by the hundred thousand. Brought in
 * through pgjdbc's {@code socketFactory} connection property ({@link Db#openForCopy}); TLS, when the URL asks for it,
 * is layered over these sockets and reads through the same buffer. A read returns what has arrived: nothing waits
 * for a block to fill.
 */
public final class BlockReadSocketFactory extends SocketFactory {

    static final int BLOCK = 1 << 18;

    @Override
    public Socket createSocket() {
        return new BlockReadSocket();
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return connected(new InetSocketAddress(host, port), new InetSocketAddress(localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return connected(new InetSocketAddress(host, port), null);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        return connected(new InetSocketAddress(address, port), new InetSocketAddress(localAddress, localPort));
    }

    private static Socket connected(InetSocketAddress remote, InetSocketAddress local) throws IOException {
        Socket s = new BlockReadSocket();
        try {
            if (local != null) {
                s.bind(local);
            }
            s.connect(remote);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static final class BlockReadSocket extends Socket {
        private InputStream in;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                in = new BufferedInputStream(super.getInputStream(), BLOCK);
            }
            return in;
        }
    }
}
