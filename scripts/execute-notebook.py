"""Execute one notebook with nbclient (called by scripts/run-notebooks.ts).

Saves the executed copy even when a cell fails (nbconvert does not), so the error can be read
in the copy; exits 1 on the first failing cell, 0 when every cell ran.
usage: execute-notebook.py NOTEBOOK OUTPUT KERNEL TIMEOUT_SECONDS
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

src, dst, kernel, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
nb = nbformat.read(src, as_version=4)
# tslab sends a failing cell's message on stderr (iopub) and an empty error reply; wait long
# enough for that output on a loaded machine, so the error text is never lost.
client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False, record_timing=True,
                        iopub_timeout=120, startup_timeout=300)
status = 0
try:
    client.execute()
except CellExecutionError as err:
    status = 1
    text = str(err)
    # the failing cell's stderr output holds tslab's message: print it too
    failing = [c for c in nb.cells if c.get("cell_type") == "code" and c.get("outputs")]
    streams = "".join(o.get("text", "") for o in (failing[-1].outputs if failing else []) if o.get("name") == "stderr")
    sys.stderr.write(text[-4000:] + "\n" + (("cell stderr:\n" + streams[-4000:] + "\n") if streams else ""))
finally:
    nbformat.write(nb, dst)
sys.exit(status)
