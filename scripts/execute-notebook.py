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
client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False, record_timing=True)
status = 0
try:
    client.execute()
except CellExecutionError as err:
    status = 1
    text = str(err)
    sys.stderr.write(text[-4000:] + "\n")
finally:
    nbformat.write(nb, dst)
sys.exit(status)
