"""Execute one notebook with nbclient (called by scripts/run-notebooks.ts).

usage: execute-notebook.py NOTEBOOK OUTPUT KERNEL TIMEOUT_SECONDS GRACE_SECONDS

Exit codes:
  0  every cell ran, no error came after a cell returned, the kernel is alive; OUTPUT written.
  1  a cell failed, a timer or a promise failed after its cell returned, or the kernel died;
     OUTPUT written with the error in it.
  2  the notebook could not be run at all (not a notebook, no kernel, no nbclient); no OUTPUT.

A failure that comes after its cell returned (a rejected promise nobody awaited, a timer that
throws) is recorded by a setup cell the runner puts first, and reported by a check cell it puts
last (after GRACE_SECONDS); tslab itself only prints such errors into whatever cell runs next.
The setup cell is removed from OUTPUT; the check cell stays only when it failed. OUTPUT is signed
(trusted) for this user, so Jupyter runs its figure scripts when it is opened.
"""
import sys

RUNNER_KEY = "spatialedit_runner"

SETUP_CELL = """(() => {
  const g = globalThis as unknown as { __spatialeditRunner?: { errors: string[] } };
  if (g.__spatialeditRunner !== undefined) return;
  const state = { errors: [] as string[] };
  g.__spatialeditRunner = state;
  const text = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e)).split("\\n").slice(0, 3).join(" | ");
  process.on("uncaughtException", (e) => { state.errors.push(`uncaught exception: ${text(e)}`); });
  process.on("unhandledRejection", (e) => { state.errors.push(`unhandled promise rejection: ${text(e)}`); });
})();"""

CHECK_CELL = """// added by scripts/run-notebooks.ts: errors that came after their cells returned
await new Promise<void>((resolve) => setTimeout(resolve, %d));
const spatialeditRunnerErrors: string[] = (globalThis as unknown as { __spatialeditRunner?: { errors: string[] } }).__spatialeditRunner?.errors ?? [];
if (spatialeditRunnerErrors.length > 0) {
  throw new Error(`${spatialeditRunnerErrors.length} error(s) after their cell returned (a promise nobody awaited, or a timer): ${spatialeditRunnerErrors.join("; ")}`);
}"""

# what tslab prints when a late error reaches its own handlers (a second line of defence)
LATE_ERROR_MARKERS = ("UncaughtException:", "UnhandledPromiseRejection:")


def fail(message, code=2):
    sys.stderr.write("execute-notebook: %s\n" % message)
    sys.exit(code)


def first_line(err):
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def main():
    if len(sys.argv) != 6:
        fail("usage: execute-notebook.py NOTEBOOK OUTPUT KERNEL TIMEOUT_SECONDS GRACE_SECONDS")
    src, dst, kernel = sys.argv[1], sys.argv[2], sys.argv[3]
    timeout, grace = int(sys.argv[4]), float(sys.argv[5])
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError
    except ImportError as err:
        fail("%s; run 'npm run setup' (it installs Debian's python3-nbclient)" % err)
    try:
        nb = nbformat.read(src, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # NotJSONError, ValidationError, OSError, ...
        fail("%s is not a notebook (%s: %s); no executed copy was written" % (src, type(err).__name__, first_line(err)))

    setup = nbformat.v4.new_code_cell(SETUP_CELL, metadata={RUNNER_KEY: "setup"})
    check = nbformat.v4.new_code_cell(CHECK_CELL % int(grace * 1000), metadata={RUNNER_KEY: "check"})
    nb.cells.insert(0, setup)
    nb.cells.append(check)
    # tslab sends a failing cell's message on stderr (iopub) and an empty error reply; wait long
    # enough for that output on a loaded machine, so the error text is never lost.
    current = {"index": None}

    def on_cell_start(cell=None, cell_index=None, **_):
        current["index"] = cell_index

    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False, record_timing=True,
                            iopub_timeout=120, startup_timeout=300, on_cell_start=on_cell_start)
    status, message = 0, ""
    try:
        client.execute()
    except CellExecutionError as err:
        status, message = 1, str(err)
    except DeadKernelError as err:
        status, message = 1, "the kernel died (%s)" % first_line(err)
    except Exception as err:  # a timeout, no such kernel, ...
        name = type(err).__name__
        if name == "NoSuchKernel":
            fail("no Jupyter kernel named '%s' (run 'npm run setup' to register tslab); no executed copy was written" % kernel)
        status, message = 1, "%s: %s" % (name, first_line(err))

    user_cells = [c for c in nb.cells if RUNNER_KEY not in c.get("metadata", {})]
    if status == 0:
        late = [o.get("text", "") for c in user_cells for o in c.get("outputs", [])
                if o.get("output_type") == "stream" and any(m in o.get("text", "") for m in LATE_ERROR_MARKERS)]
        if late:
            status, message = 1, "the kernel printed an error after a cell returned: %s" % late[0].strip()[:2000]

    failed_check = False
    if status != 0:
        index = current["index"]
        # tslab reports a failing cell on its stderr stream (no "error" output): print that too
        streams = ""
        if index is not None and index < len(nb.cells):
            cell = nb.cells[index]
            failed_check = cell.get("metadata", {}).get(RUNNER_KEY) == "check"
            streams = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stderr")
            # index 0 is the runner's setup cell, so the index counts the user's cells from 1
            sys.stderr.write("failed in %s\n" % ("the runner's final check" if failed_check else "cell %d" % index))
        sys.stderr.write(message[-4000:] + "\n" + (("cell stderr:\n" + streams[-4000:] + "\n") if streams else ""))

    # the setup cell never stays (and took execution count 1); the check cell stays only when it reports a failure
    for c in user_cells:
        if isinstance(c.get("execution_count"), int):
            c["execution_count"] -= 1
        for o in c.get("outputs", []):
            if isinstance(o.get("execution_count"), int):
                o["execution_count"] -= 1
    nb.cells = user_cells + ([check] if failed_check else [])
    try:
        from nbformat.sign import NotebookNotary
        NotebookNotary().sign(nb)
    except Exception as err:
        sys.stderr.write("execute-notebook: could not sign %s (%s); open it and choose File > Trust Notebook\n" % (dst, first_line(err)))
    nbformat.write(nb, dst)
    sys.exit(status)


if __name__ == "__main__":
    main()
