package autoassign.io;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A loaded PyTorch checkpoint: the unpickled object (tensors as {@link RawTensor}, see
 * {@link autoassign.io.pickle.Unpickler} for the other values) and what the file physically held.
 *
 * @param path          the file
 * @param format        {@code zip} (torch.save since 1.6) or {@code legacy}
 * @param root          the saved object
 * @param persistentIds storage references in pickle order, as
 *                      {@code [storage, <StorageType>, <key>, <location>, <numel>(, <view>)]}
 * @param storageKeys   zip: the archive entry names; legacy: storage keys in the order their bytes follow the pickle
 */
public record PthFile(Path path, String format, Object root, List<List<Object>> persistentIds, List<String> storageKeys) {

    /** Every tensor of the file by dotted key path, in depth-first order (see {@link TensorTree}). */
    public Map<String, RawTensor> tensors() { return TensorTree.tensors(root); }

    /** Every non-tensor leaf by dotted key path (see {@link TensorTree#metadata}). */
    public Map<String, String> metadata() { return TensorTree.metadata(root); }
}
