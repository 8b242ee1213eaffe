#!/usr/bin/env python3
"""check-layout.py - the include rules of snug's tree (docs/architecture.md).

    scripts/check-layout.py [ROOT]      exit 0: the layout holds; 1: it does not

Checks every C file's quoted #include lines:
  * in lib/, webhook/, controller/ an include names its folder
    ("kube/kube_client.h"), and that folder is the file's own or a layer
    below it: base < json < yaml < model, metrics, certs < kube < prom <
    webhook, controller (folders on one level never use each other);
  * a unit test tests/unit/test_<module>.c includes only its module's folder
    and those below (the library it links);
  * the included file exists;
  * no loops: no two headers include each other (directly or round a longer
    chain), and no two modules use each other: module foo (foo.c) uses
    module bar when foo.c includes bar.h. Each .c that others call has a
    header of its own, so a dependency between two parts of one concept
    (policy.c and policy_fields.c) shows in the includes, and has to go
    one way.
Every violation is printed as FILE:LINE: message.
"""
import os
import re
import sys

RANK = {"base": 0, "json": 1, "yaml": 2, "model": 3, "metrics": 3, "certs": 3,
        "kube": 4, "prom": 5, "webhook": 6, "controller": 6}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def may_use(user, used):
    """Whether folder `user` may include a header of folder `used`."""
    return user == used or RANK[used] < RANK[user]


def header_path(root, inc):
    """The file an include names: lib/<folder>/x.h or <top>/x.h."""
    folder = inc.split("/", 1)[0]
    return os.path.join(root, "lib" if folder in RANK and folder not in ("webhook", "controller")
                        else "", inc)


def sources(root):
    """(path, folder, kind) of every C file the rules cover."""
    for folder in RANK:
        top = folder in ("webhook", "controller")
        d = os.path.join(root, folder if top else os.path.join("lib", folder))
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                if n.endswith((".c", ".h")):
                    yield os.path.join(d, n), folder, "code"
    unit = os.path.join(root, "tests", "unit")
    if os.path.isdir(unit):
        for n in sorted(os.listdir(unit)):
            if n.startswith("test_") and n.endswith(".c"):
                yield os.path.join(unit, n), module_folder(root, n[5:-2]), "test"


def module_folder(root, module):
    """The folder holding module.c or module.h, as CMake finds it; None if none."""
    for folder in RANK:
        top = folder in ("webhook", "controller")
        d = os.path.join(root, folder if top else os.path.join("lib", folder))
        if any(os.path.exists(os.path.join(d, module + e)) for e in (".c", ".h")):
            return folder
    return None


def node(path):
    return os.path.splitext(path)[0]


def check_file(root, path, folder, kind, edges, errors):
    rel = os.path.relpath(path, root)
    if folder is None:
        errors.append("%s:1: no module for this test in lib/*/, webhook/ or controller/" % rel)
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            where = "%s:%d" % (rel, lineno)
            head = inc.split("/", 1)[0] if "/" in inc else None
            if head is None or head not in RANK:
                if kind == "test" and os.path.exists(os.path.join(os.path.dirname(path), inc)):
                    continue  # the tests' own helpers (test.h)
                errors.append('%s: include "%s" does not name a folder (%s)' %
                              (where, inc, ", ".join(RANK)))
                continue
            target = header_path(root, inc)
            if not os.path.exists(target):
                errors.append('%s: include "%s": no such file' % (where, inc))
                continue
            if not may_use(folder, head):
                errors.append('%s: include "%s" goes up a layer: %s may use only %s' %
                              (where, inc, folder,
                               ", ".join(f for f in RANK if may_use(folder, f))))
            if kind == "code":
                # headers: file -> file; .c files: module -> module
                src = os.path.relpath(path, root)
                dst = os.path.relpath(target, root)
                if src.endswith(".h"):
                    edges.setdefault(src, set()).add(dst)
                else:
                    edges.setdefault(node(src), set()).add(node(dst))


def find_loops(edges):
    """Every cycle of the module graph, each once, as a list of nodes."""
    loops, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if m == n:
                continue
            if state.get(m) == 1:
                loops.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    return loops


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    edges, errors, n = {}, [], 0
    for path, folder, kind in sources(root):
        n += 1
        check_file(root, path, folder, kind, edges, errors)
    for loop in find_loops(edges):
        errors.append("%s: include loop: %s" % (loop[0], " -> ".join(loop)))
    for e in errors:
        print(e)
    if errors:
        print("layout: %d problem(s) in %d files" % (len(errors), n))
        return 1
    print("layout ok (%d files)" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
