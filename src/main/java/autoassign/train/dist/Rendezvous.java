package autoassign.train.dist;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The small TCP rendezvous of a multi-machine run: node 0 listens on the master port, every other node
 * connects and says who it is (node rank, node count, GPUs per node); once all have arrived node 0 sends
 * them the payload — the NCCL unique id — and NCCL does the rest (its own bootstrap and transports).
 * Nothing else travels over this socket.
 *
 * <p>Every wait is bounded: node 0 names the nodes that did not arrive in time; another node says whether
 * the master could not be reached at all or did not answer. A node with a different node count or GPU count,
 * or a node rank taken twice, is refused with the reason (and the refusal is printed on that node too).
 */
public final class Rendezvous {
    private static final int MAGIC = 0x41415244; // "AARD"
    private static final int VERSION = 1;
    private static final int OK = 0, REFUSED = 1;

    /** A failed rendezvous, with a one-line message. */
    public static final class RendezvousException extends RuntimeException {
        public RendezvousException(String message) { super(message); }
    }

    private Rendezvous() {}

    /** Parses {@code HOST:PORT} (IPv6 as {@code [addr]:port}). */
    public static InetSocketAddress parseMaster(String master) {
        if (master == null || master.isBlank()) throw new IllegalArgumentException("--master HOST:PORT is required with --nodes > 1");
        String m = master.trim();
        int colon = m.lastIndexOf(':');
        if (colon <= 0 || colon == m.length() - 1) throw new IllegalArgumentException("--master " + m + ": expected HOST:PORT");
        String host = m.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(m.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--master " + m + ": port is not a number");
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("--master " + m + ": port must be in 1..65535");
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * Runs the rendezvous and returns the payload: node 0 computes it ({@code payload.get()}, before listening)
     * and returns once every other node has received it; another node returns what node 0 sent.
     *
     * @param master     node 0's address (node 0 listens on its port, on every interface)
     * @param nodes      number of nodes
     * @param nodeRank   this node's rank
     * @param gpusPerNode checked to be the same everywhere
     * @param payload    node 0 only: what to send (the NCCL unique id)
     * @param timeout    how long to wait for the others
     */
    public static byte[] exchange(InetSocketAddress master, int nodes, int nodeRank, int gpusPerNode,
                                  Supplier<byte[]> payload, Duration timeout) {
        if (nodes < 1) throw new IllegalArgumentException("--nodes must be >= 1, got " + nodes);
        if (nodeRank < 0 || nodeRank >= nodes)
            throw new IllegalArgumentException("--node-rank must be in 0.." + (nodes - 1) + ", got " + nodeRank);
        return nodeRank == 0 ? serve(master.getPort(), nodes, gpusPerNode, payload.get(), timeout)
                : join(master, nodes, nodeRank, gpusPerNode, timeout);
    }

    private static byte[] serve(int port, int nodes, int gpus, byte[] payload, Duration timeout) {
        if (nodes == 1) return payload;
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Socket> peers = new ArrayList<>();
        TreeSet<Integer> missing = new TreeSet<>();
        for (int r = 1; r < nodes; r++) missing.add(r);
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            try {
                server.bind(new InetSocketAddress(port));
            } catch (IOException e) {
                throw new RendezvousException("rendezvous: node 0 cannot listen on port " + port + ": " + e.getMessage());
            }
            while (!missing.isEmpty()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) break;
                server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, left)));
                Socket s;
                try {
                    s = server.accept();
                } catch (SocketTimeoutException e) {
                    break;
                }
                try {
                    s.setSoTimeout(10_000);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    int magic = in.readInt(), version = in.readInt(), n = in.readInt(), r = in.readInt(), g = in.readInt();
                    String refusal = null;
                    if (magic != MAGIC || version != VERSION) refusal = "not an autoassign rendezvous (version " + version + ")";
                    else if (n != nodes) refusal = "node " + r + " says --nodes " + n + ", node 0 has --nodes " + nodes;
                    else if (g != gpus) refusal = "node " + r + " says --gpus " + g + ", node 0 has --gpus " + gpus;
                    else if (r < 1 || r >= nodes) refusal = "node rank " + r + " is out of 1.." + (nodes - 1);
                    else if (!missing.contains(r)) refusal = "node rank " + r + " joined twice";
                    if (refusal != null) {
                        refuse(s, refusal);
                        continue;
                    }
                    missing.remove(r);
                    peers.add(s);
                } catch (IOException e) {
                    s.close(); // a stray or broken connection: keep waiting for real nodes
                }
            }
            if (!missing.isEmpty()) {
                for (Socket p : peers) refuse(p, "node(s) " + missing + " did not arrive at node 0 in time");
                throw new RendezvousException("rendezvous: node(s) " + join(missing) + " of " + nodes + " did not arrive within "
                        + timeout.toSeconds() + " s at port " + port + " (start them with --nodes " + nodes
                        + " --node-rank R --master <this host>:" + port + ")");
            }
            for (Socket p : peers) {
                try (p) {
                    DataOutputStream o = new DataOutputStream(p.getOutputStream());
                    o.writeInt(OK);
                    o.writeInt(payload.length);
                    o.write(payload);
                    o.flush();
                }
            }
            return payload;
        } catch (IOException e) {
            for (Socket p : peers) try { p.close(); } catch (IOException ignored) { /* closing */ }
            throw new RendezvousException("rendezvous on port " + port + " failed: " + e.getMessage());
        }
    }

    private static String join(TreeSet<Integer> s) {
        StringBuilder b = new StringBuilder();
        for (int r : s) b.append(b.length() == 0 ? "" : ", ").append(r);
        return b.toString();
    }

    private static void refuse(Socket s, String why) {
        try (s) {
            DataOutputStream o = new DataOutputStream(s.getOutputStream());
            o.writeInt(REFUSED);
            o.writeUTF(why);
            o.flush();
        } catch (IOException ignored) {
            // the peer is gone anyway
        }
    }

    private static byte[] join(InetSocketAddress master, int nodes, int nodeRank, int gpus, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String where = master.getHostString() + ":" + master.getPort();
        String lastError = "no answer";
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0)
                throw new RendezvousException("rendezvous: node " + nodeRank + " could not reach the master " + where + " within "
                        + timeout.toSeconds() + " s (" + lastError + "); is node 0 started with --master " + where + "?");
            try (Socket s = new Socket()) {
                InetSocketAddress addr = new InetSocketAddress(master.getHostString(), master.getPort());
                if (addr.isUnresolved()) throw new UnknownHostException(master.getHostString());
                s.connect(addr, (int) Math.min(left, 5_000));
                DataOutputStream o = new DataOutputStream(s.getOutputStream());
                o.writeInt(MAGIC);
                o.writeInt(VERSION);
                o.writeInt(nodes);
                o.writeInt(nodeRank);
                o.writeInt(gpus);
                o.flush();
                // connected: now wait (up to the timeout) for the other nodes to arrive at the master
                long wait = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, wait));
                DataInputStream in = new DataInputStream(s.getInputStream());
                int status;
                try {
                    status = in.readInt();
                } catch (SocketTimeoutException e) {
                    throw new RendezvousException("rendezvous: node " + nodeRank + " reached the master " + where
                            + " but got no answer within " + timeout.toSeconds() + " s (the other nodes did not all arrive)");
                } catch (EOFException e) {
                    lastError = "the master closed the connection";
                    sleepQuietly(200);
                    continue;
                }
                if (status == REFUSED) throw new RendezvousException("rendezvous: the master " + where + " refused node " + nodeRank
                        + ": " + in.readUTF());
                int len = in.readInt();
                if (len < 0 || len > 1 << 20) throw new RendezvousException("rendezvous: bad answer from " + where);
                byte[] payload = new byte[len];
                in.readFully(payload);
                return payload;
            } catch (UnknownHostException e) {
                throw new RendezvousException("rendezvous: unknown master host " + master.getHostString());
            } catch (ConnectException | NoRouteToHostException | SocketTimeoutException e) {
                lastError = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                sleepQuietly(200); // node 0 may not be listening yet
            } catch (IOException e) {
                lastError = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                sleepQuietly(200);
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RendezvousException("rendezvous interrupted");
        }
    }
}
