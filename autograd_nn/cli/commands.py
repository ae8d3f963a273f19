"""The sub-command table: name → function(options) -> exit status."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .exercise_commands import exercises_command
from .expression_commands import explain, gradcheck, graph
from .lab_commands import flow, plot, race
from .studio_command import studio
from .training_commands import demo, train

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": demo, "train": train, "graph": graph, "gradcheck": gradcheck, "explain": explain,
    "exercises": exercises_command,
    "studio": studio,
    "flow": flow, "race": race, "plot": plot,
}
