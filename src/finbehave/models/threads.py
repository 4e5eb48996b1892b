"""How many torch threads a CPU run should use: one rule for inference, training and benchmarks.

torch defaults to one intra-op thread per core. During an Inspect eval the event loop and the
sandbox workers are busy too, and torch's threads then fight them: on 2 cores, SmolLM2-135M
decoded 4.5 tokens/s with torch's 2 threads against 16.8 tokens/s with 1 thread while another
process kept one core busy (issue 16). :func:`pick_threads` leaves ``busy`` cores to the rest of
the process (the event loop, tools, the trainer's Python) and gives torch the remainder, at least
one. ``-M threads=N`` (finbehave/local), ``threads:`` (training recipes) or ``OMP_NUM_THREADS``
override it. On a GPU the choice hardly matters (torch's CPU threads only feed the device).
"""

from __future__ import annotations

import os

THREADS_ENV = "OMP_NUM_THREADS"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def pick_threads(
    requested: int | None = None, busy: int = 1, cores: int | None = None, processes: int = 1
) -> int:
    """Intra-op threads for torch: ``requested``, else ``OMP_NUM_THREADS``, else cores - busy.

    ``busy`` is how many cores other work of the run keeps occupied (1 under Inspect: its event
    loop and sandbox workers; 1 in training: TRL's Python, the tools, the data collator).
    ``processes`` running the model side by side (accelerate's ``WORLD_SIZE``) share the cores.
    """
    if requested is not None:
        if int(requested) < 1:
            raise ValueError(f"threads must be >= 1 (got {requested}): pass -M threads=<n>")
        return int(requested)
    env = os.environ.get(THREADS_ENV, "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, (cores or available_cores()) // max(1, processes) - max(0, busy))


def configure_threads(requested: int | None = None, busy: int = 1) -> int:
    """Set this process's torch intra-op threads by :func:`pick_threads`; returns the number.

    Call it in the thread that runs the model too: OpenMP keeps the count per thread.
    """
    import torch

    threads = pick_threads(requested, busy, processes=int(os.environ.get("WORLD_SIZE", "1")))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
