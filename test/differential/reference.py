"""Runs `openstack` (python-openstackclient, in-process) once per case, each in a forked child.

Reads a JSON list of cases on stdin: {"id", "cwd", "env", "argv", "sdk", "out"}; with "sdk" the
child uses openstacksdk directly (openstack.connect(), compute.servers()) instead. Each child gets exactly
the case's environment and working directory, re-evaluates openstacksdk's search path (it is
computed when openstack.config.loader is imported), runs openstackclient.shell.main(argv) with
stdin on /dev/null, and writes its stdout and stderr to <out>.stdout / <out>.stderr. Prints one
JSON object per case: {"id", "rc"}. Started as /usr/bin/python3 (Debian's packages).
"""

import importlib
import json
import os
import signal
import sys

CONCURRENCY = int(os.environ.get("DIFF_CONCURRENCY", "4"))
CASE_TIMEOUT = 120


def run_child(case):
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open(case["out"] + ".stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(case["out"] + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, "r", closefd=False)
    os.environ.clear()
    os.environ.update(case["env"])
    os.chdir(case["cwd"])
    signal.alarm(CASE_TIMEOUT)
    from openstack.config import loader

    importlib.reload(loader)
    from openstackclient import shell

    rc = 1
    try:
        if case.get("sdk"):
            import openstack

            conn = openstack.connect(cloud=os.environ.get("OS_CLOUD") or None)
            print(json.dumps([s.id for s in conn.compute.servers()]))
            rc = 0
        else:
            rc = shell.main(case["argv"])
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException as e:  # noqa: BLE001 - the exit status is the result
        print("reference: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        rc = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc if isinstance(rc, int) else 1)


def main():
    cases = json.load(sys.stdin)
    # import once in the parent: the children only fork
    import keystoneauth1.loading  # noqa: F401
    import novaclient.client  # noqa: F401
    from openstackclient import shell  # noqa: F401
    from openstackclient.compute.v2 import server  # noqa: F401
    import openstack  # noqa: F401

    running = {}
    queue = list(cases)
    while queue or running:
        while queue and len(running) < CONCURRENCY:
            case = queue.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    run_child(case)
                finally:
                    os._exit(99)
            running[pid] = case
        pid, status = os.wait()
        case = running.pop(pid, None)
        if case is None:
            continue
        if os.WIFEXITED(status):
            rc = os.WEXITSTATUS(status)
        else:
            rc = 128 + os.WTERMSIG(status)
        print(json.dumps({"id": case["id"], "rc": rc}), flush=True)


if __name__ == "__main__":
    main()
