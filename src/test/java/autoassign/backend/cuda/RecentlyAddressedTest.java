package autoassign.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecentlyAddressedTest {
    @Test
    void holdsTheLastCapacityObjectsOfTheThread() {
        Object first = new Object();
        RecentlyAddressed.hold(first);
        for (int i = 0; i < RecentlyAddressed.CAPACITY - 1; i++) RecentlyAddressed.hold(new Object());
        assertTrue(RecentlyAddressed.holds(first), "still among the last " + RecentlyAddressed.CAPACITY);
        RecentlyAddressed.hold(new Object());
        assertFalse(RecentlyAddressed.holds(first), "dropped after " + RecentlyAddressed.CAPACITY + " more");
    }

    @Test
    void eachThreadHasItsOwnRing() throws InterruptedException {
        Object mine = new Object();
        RecentlyAddressed.hold(mine);
        AtomicBoolean seenElsewhere = new AtomicBoolean(true);
        Thread t = new Thread(() -> {
            for (int i = 0; i < 2 * RecentlyAddressed.CAPACITY; i++) RecentlyAddressed.hold(new Object());
            seenElsewhere.set(RecentlyAddressed.holds(mine));
        });
        t.start();
        t.join();
        assertFalse(seenElsewhere.get());
        assertTrue(RecentlyAddressed.holds(mine), "another thread's holds do not push this thread's out");
    }
}
