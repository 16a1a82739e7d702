"""--plot FILE.svg|png: the loss per epoch as a picture, drawn by matplotlib
(imported here only, so no other run pays for it). Labels are ASCII and
numbers only: the picture needs no CJK font."""
from __future__ import annotations

import io


def plot_bytes(epochs: list, losses: list, mean_losses: list, fmt: str) -> bytes:
    """The picture as `fmt` ("svg" or "png") bytes: the last step's loss (what
    seed 001 prints per epoch) and the epoch's mean loss; a log scale when the
    losses span more than two decades."""
    try:
        from matplotlib.figure import Figure    # a bare Figure: no pyplot, no GUI backend chosen
    except ImportError:
        from ..errors import BptutorError
        raise BptutorError("train.plot_needs_matplotlib") from None

    fig = Figure(figsize=(6.4, 4.0), dpi=100)
    ax = fig.add_subplot()
    ax.plot(epochs, mean_losses, color="tab:green", linewidth=2, label="mean loss over the epoch")
    ax.plot(epochs, losses, color="tab:red", linewidth=1, linestyle="--", label="loss at the last step")
    values = [v for v in losses + mean_losses if v > 0]
    if values and len(values) == len(losses) + len(mean_losses) and max(values) > 100 * min(values):
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("bptutor train: loss per epoch")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()
