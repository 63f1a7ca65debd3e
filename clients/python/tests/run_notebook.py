"""Executes a notebook with nbclient (a real Jupyter kernel) in its own folder; exit 1 with the failing cell's error."""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path = os.path.abspath(sys.argv[1])
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": os.path.dirname(path)}})
try:
    client.execute()
except CellExecutionError as e:
    print(e)
    sys.exit(1)
for cell in nb.cells:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            sys.stdout.write(out.get("text", ""))
print("notebook ok:", os.path.basename(path))
