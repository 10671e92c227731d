package autoassign.train.dist;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TCP rendezvous on the loopback interface only. */
class RendezvousTest {
    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static InetSocketAddress loopback(int port) { return Rendezvous.parseMaster("127.0.0.1:" + port); }

    @Test
    void threeNodesReceiveNodeZerosPayload() throws Exception {
        InetSocketAddress master = loopback(freePort());
        byte[] id = new byte[128];
        for (int i = 0; i < id.length; i++) id[i] = (byte) (i * 7 + 3);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<byte[]>> fs = new ArrayList<>();
            // the other nodes start first: they retry until node 0 listens
            for (int r = 2; r >= 0; r--) {
                int rank = r;
                fs.add(pool.submit(() -> Rendezvous.exchange(master, 3, rank, 8, () -> id.clone(), Duration.ofSeconds(20))));
                Thread.sleep(100);
            }
            for (Future<byte[]> f : fs) assertArrayEquals(id, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nodeZeroNamesTheNodesThatDidNotArrive() throws Exception {
        int port = freePort();
        long t0 = System.nanoTime();
        Rendezvous.RendezvousException e = assertThrows(Rendezvous.RendezvousException.class,
                () -> Rendezvous.exchange(loopback(port), 3, 0, 8, () -> new byte[128], Duration.ofMillis(700)));
        assertEquals("rendezvous: node(s) 1, 2 of 3 did not arrive within 0 s at port " + port
                + " (start them with --nodes 3 --node-rank R --master <this host>:" + port + ")", e.getMessage());
        assertTrue(System.nanoTime() - t0 < 10e9);
    }

    @Test
    void aNodeThatCannotReachTheMasterSaysSo() throws Exception {
        int port = freePort(); // nobody listens there
        Rendezvous.RendezvousException e = assertThrows(Rendezvous.RendezvousException.class,
                () -> Rendezvous.exchange(loopback(port), 2, 1, 8, () -> null, Duration.ofMillis(800)));
        assertTrue(e.getMessage().startsWith("rendezvous: node 1 could not reach the master 127.0.0.1:" + port + " within 0 s"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("is node 0 started with --master 127.0.0.1:" + port + "?"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void aNodeWithOtherSettingsIsRefusedWithTheReason() throws Exception {
        InetSocketAddress master = loopback(freePort());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<byte[]> root = pool.submit(() -> Rendezvous.exchange(master, 2, 0, 8, () -> new byte[128], Duration.ofSeconds(2)));
            Thread.sleep(200);
            Future<byte[]> bad = pool.submit(() -> Rendezvous.exchange(master, 2, 1, 4, () -> null, Duration.ofSeconds(5)));
            ExecutionException e = assertThrows(ExecutionException.class, bad::get);
            assertEquals("rendezvous: the master 127.0.0.1:" + master.getPort() + " refused node 1: node 1 says --gpus 4, node 0 has --gpus 8",
                    e.getCause().getMessage());
            ExecutionException r = assertThrows(ExecutionException.class, root::get);
            assertTrue(r.getCause().getMessage().contains("node(s) 1 of 2 did not arrive"), r.getCause().getMessage());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badMasterAddressesAreOneLineErrors() {
        assertEquals("--master localhost: expected HOST:PORT",
                assertThrows(IllegalArgumentException.class, () -> Rendezvous.parseMaster("localhost")).getMessage());
        assertEquals("--master h:99999: port must be in 1..65535",
                assertThrows(IllegalArgumentException.class, () -> Rendezvous.parseMaster("h:99999")).getMessage());
        assertEquals(29500, Rendezvous.parseMaster("[::1]:29500").getPort());
    }
}
