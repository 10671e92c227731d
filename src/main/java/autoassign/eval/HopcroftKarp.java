package autoassign.eval;

import java.util.Arrays;

/**
 * SciPy's {@code maximum_bipartite_matching(graph, perm_type='column')} (scipy/sparse/csgraph/_matching.pyx,
 * {@code _hopcroft_karp}), step for step: CrowdHumanMetric's JI counts which detections and people it leaves unmatched,
 * so the same maximum matching as SciPy's must be found, not just one of the same size.
 */
final class HopcroftKarp {
    private HopcroftKarp() {}

    /**
     * @param edges {@code edges[r][c]}: an edge between row r and column c (a stored entry of the CSR matrix; columns are
     *              visited in ascending order, as {@code csr_matrix(dense)} stores them)
     * @return the column matched to each row, -1 for none
     */
    static int[] matchRows(boolean[][] edges, int cols) {
        int i = edges.length;
        int[] indptr = new int[i + 1];
        int[] indices = new int[Math.max(1, i * cols)];
        int nnz = 0;
        for (int r = 0; r < i; r++) {
            for (int c = 0; c < cols; c++) if (edges[r][c]) indices[nnz++] = c;
            indptr[r + 1] = nnz;
        }
        final int inf = Integer.MAX_VALUE;
        int[] x = new int[i], y = new int[cols], dist = new int[i + 1], q = new int[i + 1], stack = new int[i + 1];
        int[] parents = new int[i];
        Arrays.fill(x, -1);
        Arrays.fill(y, i); // the auxiliary vertex i: unmatched
        while (true) {
            int head = 0, tail = 0;
            for (int v = 0; v < i; v++) {
                if (x[v] < 0) { dist[v] = 0; q[tail++] = v; } else dist[v] = inf;
            }
            dist[i] = inf;
            while (head < tail) { // breadth-first levels
                int v = q[head++];
                if (dist[v] < dist[i])
                    for (int up = indptr[v]; up < indptr[v + 1]; up++) {
                        int u = indices[up];
                        if (dist[y[u]] == inf) { dist[y[u]] = dist[v] + 1; q[tail++] = y[u]; }
                    }
            }
            if (dist[i] == inf) break;
            for (int w = 0; w < i; w++) { // depth-first search from every unmatched row
                if (x[w] >= 0) continue;
                boolean done = false;
                stack[0] = w;
                int stackHead = 1;
                while (stackHead != 0) {
                    int v = stack[--stackHead];
                    for (int up = indptr[v]; up < indptr[v + 1]; up++) {
                        int u = indices[up], yu = y[u];
                        if (dist[yu] != dist[v] + 1) continue;
                        if (yu == i) { // an augmenting path: flip it back to the root
                            done = true;
                            while (true) {
                                dist[v] = inf;
                                int uOld = x[v];
                                y[u] = v;
                                x[v] = u;
                                u = uOld;
                                if (v == w) break;
                                v = parents[v];
                            }
                            break;
                        }
                        stack[stackHead++] = yu;
                        parents[yu] = v;
                    }
                    if (done) break;
                }
            }
        }
        return x;
    }
}
