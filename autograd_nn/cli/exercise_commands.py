"""``exercises``: write the student files, grade them, or print the solutions (autograd_nn.exercises)."""

from __future__ import annotations

import argparse

from ..exercises import check, init, solutions
from .args import UsageError


def exercises_command(options: argparse.Namespace) -> int:
    """init DIR → 0; check DIR → 0 when every exercise passes, else 1; --solutions prints them → 0."""
    if options.solutions and options.action is None:
        print(solutions())
        return 0
    if options.action is None or options.dir is None:
        raise UsageError("autograd-nn exercises: error: expected 'init DIR', 'check DIR' or --solutions")
    if options.action == "init":
        try:
            written = init(options.dir, solutions=options.solutions, force=options.force)
        except (FileExistsError, NotADirectoryError) as exc:
            raise UsageError(f"autograd-nn {exc}") from None
        kind = "solutions" if options.solutions else "exercises (stubs with TODO)"
        print(f"wrote {len(written)} files of {kind} into {options.dir}: "
              + ", ".join(p.name for p in written))
        print(f"grade them: autograd-nn exercises check {options.dir}   (or: pytest {options.dir})")
        return 0
    results = check(options.dir)
    for r in results:
        print(r)
    passed = sum(r.passed for r in results)
    print(f"{passed} of {len(results)} exercises passed")
    return 0 if passed == len(results) else 1
