package autoassign.io.pickle;

import java.util.Map;

/** A value {@link Pickler} writes as {@code collections.OrderedDict} (a state dict), in the map's iteration order. */
public record PyOrderedDict(Map<?, ?> items) {}
