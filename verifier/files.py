"""Writing files whole or not at all."""

import os
import tempfile


def write_atomic(path, data):
    """Write ``data`` (text or bytes) to ``path`` through a temporary file
    in the same folder and a rename: a reader never sees half a file, and
    the old file stays whole if anything fails."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".dsic-", dir=folder)
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        with os.fdopen(handle, mode, **({} if mode == "wb" else
                                        {"encoding": "utf-8"})) as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
