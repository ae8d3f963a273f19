"""plots: loss curves count epochs in whole numbers, and bad histories are named instead of drawn wrong."""

import math

import matplotlib.pyplot as plt
import pytest

from autograd_nn.plots import loss_curve_figure, plot_loss_curve


@pytest.mark.parametrize("epochs", [1, 2, 3, 7, 100])
def test_epoch_ticks_are_whole_numbers(epochs):
    loss = [1.0 / (k + 1) for k in range(epochs)]
    fig = loss_curve_figure(loss, accuracy=[min(1.0, k / epochs) for k in range(epochs)])
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(t == int(t) for t in ticks)  # before: 1.00, 1.25, 1.50 ... for 3 epochs
        labels = [label.get_text() for label in ax.get_xticklabels() if label.get_text()]
        assert labels and all(text.lstrip("−-").isdigit() for text in labels)
    finally:
        plt.close(fig)


def test_the_curve_is_saved_as_a_png(tmp_path):
    path = plot_loss_curve([0.9, 0.5, 0.2], tmp_path / "loss.png", accuracy=[0.5, 0.75, 1.0])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_empty_accuracy_is_no_accuracy():
    fig = loss_curve_figure([0.9, 0.5], accuracy=[])  # fit(metric=None) leaves history.accuracy == []
    try:
        assert len(fig.axes) == 1
    finally:
        plt.close(fig)


@pytest.mark.parametrize("loss,accuracy,exc,match", [
    ([], None, ValueError, "the loss history is empty"),
    ([0.9, math.nan, 0.2], None, ValueError, "loss at epoch 2 is nan; expected finite numbers"),
    ([0.9, 0.5, 0.2], [0.5, 0.75], ValueError, "accuracy has 2 values but loss has 3"),
    ([0.9, 0.5], [0.5, math.inf], ValueError, "accuracy at epoch 2 is inf"),
    (["0.9", "0.5"], None, TypeError, "loss must be a list of real numbers"),
    ([0.9, 0.5 + 1j], None, TypeError, "loss must be a list of real numbers"),
])
def test_bad_histories_are_named(tmp_path, loss, accuracy, exc, match):
    with pytest.raises(exc, match=match):
        plot_loss_curve(loss, tmp_path / "loss.png", accuracy=accuracy)
    assert not (tmp_path / "loss.png").exists()


def test_importing_plots_keeps_the_users_backend_and_loads_no_pyplot(tmp_path):
    import subprocess
    import sys

    code = ("import matplotlib, sys; matplotlib.use('pdf'); import autograd_nn.plots as plots; "
            "plots.plot_loss_curve([1.0, 0.5], sys.argv[1]); "
            "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "loss.png")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["pdf", "False"]
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
