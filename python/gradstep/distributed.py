"""Data-parallel training over MPI (Horovod-style), through mpi4py.

Launch one process per node (or socket) with ``mpiexec -n N python train.py``; every process
runs the same script. ``model.fit(..., distributed=True)`` then trains one model on all of them:

- a global batch is ``batch_size x size()`` rows of the shuffled order (the same order on every
  process: it is keyed by rank 0's seed and the epoch); process ``r`` takes the ``r``-th of
  ``size()`` nearly equal slices of it;
- the initial weights (and moving statistics) are broadcast from rank 0;
- each process computes its slice's gradient in C++; one allreduce of one contiguous buffer
  (every gradient, plus the slice's weight) turns it into the gradient of the mean loss over the
  whole global batch, exactly as one process with the global batch would (up to the order of
  float32 sums), before clipping and the optimizer update, which every process then applies to
  identical weights;
- BatchNormalization uses each process's own batch statistics by default; with
  ``sync_batchnorm=True`` it normalises with the statistics of the whole global batch (two small
  allreduces per BatchNormalization layer and step: the per-channel sums in forward and the
  gradient sums in backward), which makes the run equal to one process with the global batch;
  after each epoch every weight is averaged over the processes, which leaves the (equal)
  trainable ones as they are and averages the moving statistics;
- epoch logs (loss, metrics, validation) are sums reduced over all processes, so every process
  sees the same numbers and callbacks such as EarlyStopping take the same decision everywhere;
  a stop asked for by a callback on any process in the middle of an epoch (TerminateOnNaN)
  takes effect on all of them one batch later;
- only rank 0 prints (progress bar) and writes (ModelCheckpoint, CSVLogger); BackupAndRestore is
  refused (a restore on one process only would split the model).

Every process must hold the same x, y (and validation data): each reads only its slices.

Failure: an exception inside a distributed fit or evaluate on any process is printed (with its
rank and traceback) and the whole job is aborted with ``MPI.Abort``, so no process waits
forever in a collective for a peer that has died. ``init()`` also installs the same behaviour
for exceptions that escape the script.

Without MPI (not launched by mpiexec, or mpi4py not installed) everything is a single process:
``rank() == 0``, ``size() == 1`` and ``fit(distributed=True)`` is an ordinary fit.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable, NoReturn, TypeVar

import numpy as np
import numpy.typing as npt

# Environment variables that MPI launchers set in the processes they start (MPICH/Hydra and
# Intel MPI: PMI_*, Open MPI: OMPI_*, PMIx: PMIX_*, MVAPICH: MV2_*, Slurm's srun: PMI_* too).
_LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")

_T = TypeVar("_T")

_comm: Any = None  # mpi4py's COMM_WORLD once init() found MPI; None for one process
_initialized = False


def launched_by_mpi() -> bool:
    """True when this process was started by an MPI launcher (mpiexec, mpirun, srun)."""
    return any(name in os.environ for name in _LAUNCHER_VARIABLES)


def init() -> tuple[int, int]:
    """Join the MPI job (once; later calls return the same) and return (rank, size).

    Not launched by an MPI launcher: a no-op single-process default, (0, 1), without importing
    mpi4py. Launched by one without mpi4py installed: ImportError naming the extra to install.
    """
    global _comm, _initialized
    if _initialized:
        return rank(), size()
    if launched_by_mpi():
        try:
            from mpi4py import MPI
        except ImportError as error:
            raise ImportError(
                "gradstep.distributed: this process was started by an MPI launcher but mpi4py is not "
                "installed: pip install 'gradstep[mpi]' (mpi4py and MPICH from PyPI), or mpi4py built "
                "against the system's MPI"
            ) from error
        _comm = MPI.COMM_WORLD
        if _comm.Get_size() > 1:
            _install_excepthook()
    _initialized = True
    return rank(), size()


def rank() -> int:
    """This process's rank (0 for a single process)."""
    return 0 if _comm is None else int(_comm.Get_rank())


def size() -> int:
    """The number of processes (1 for a single process)."""
    return 1 if _comm is None else int(_comm.Get_size())


def is_root() -> bool:
    """True on rank 0, the process that prints and writes files."""
    return rank() == 0


def barrier() -> None:
    """Wait until every process gets here."""
    if _comm is not None:
        _comm.Barrier()


def allreduce_sum(values: npt.NDArray[Any]) -> None:
    """Sum a contiguous float32/float64 array over all processes, in place."""
    if _comm is None or size() == 1:
        return
    from mpi4py import MPI

    _comm.Allreduce(MPI.IN_PLACE, values, op=MPI.SUM)


def broadcast(values: npt.NDArray[Any], root: int = 0) -> None:
    """Overwrite a contiguous array with rank `root`'s, in place, on every process."""
    if _comm is not None and size() > 1:
        _comm.Bcast(values, root=root)


def broadcast_object(value: Any, root: int = 0) -> Any:
    """Rank `root`'s value of a picklable object, on every process."""
    if _comm is None or size() == 1:
        return value
    return _comm.bcast(value, root=root)


def abort(message: str, code: int = 1) -> NoReturn:
    """Print `message` to stderr and end every process of the job (MPI.Abort)."""
    sys.stderr.write(message if message.endswith("\n") else message + "\n")
    sys.stderr.flush()
    sys.stdout.flush()
    if _comm is not None and size() > 1:
        _comm.Abort(code)
    raise SystemExit(code)


def abort_on_error(function: Callable[[], _T]) -> _T:
    """Run function(); if it raises on this process, report and abort the whole job, so that its
    peers, which may be waiting in a collective operation for it, never hang."""
    if size() == 1:
        return function()
    try:
        return function()
    except BaseException as error:  # every failure, even SystemExit, must end the whole job
        abort(_report(error))


def _report(error: BaseException) -> str:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return f"gradstep.distributed: rank {rank()} of {size()} failed; aborting all ranks.\n{text}"


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        if isinstance(error, KeyboardInterrupt):
            previous(kind, error, tb)
        abort(_report(error.with_traceback(tb)))

    sys.excepthook = hook


class GradientAverager:
    """The reducer a distributed fit hands to the C++ train step: one fused allreduce per step.

    The step passes its gradient (of the mean loss over this process's `weight` positions) and
    `weight`. Buffer = [gradient * weight, weight, stop flag]; after the sum over processes,
    gradient = sum / total weight, the gradient of the mean over the global batch. The stop flag
    carries "a callback asked to stop" from every process at no extra message.
    """

    def __init__(self, num_parameters: int) -> None:
        self.buffer = np.zeros(num_parameters + 2, dtype=np.float32)
        self.stop_requested = False  # this process's flag, sent with the next step
        self.stop_everywhere = False  # some process's flag, as received

    def __call__(self, gradients: npt.NDArray[np.float32], weight: float) -> None:
        n = gradients.shape[0]
        buffer = self.buffer
        np.multiply(gradients, np.float32(weight), out=buffer[:n])
        buffer[n] = weight
        buffer[n + 1] = 1.0 if self.stop_requested else 0.0
        allreduce_sum(buffer)
        total = buffer[n]
        if total > 0:
            np.divide(buffer[:n], total, out=gradients)
        else:
            gradients[:] = 0.0
        self.stop_everywhere = bool(buffer[n + 1] > 0)


def shard(indices: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """This process's slice of a global batch's row indices: the rank-th of size() nearly equal
    contiguous parts (sizes differ by at most one)."""
    return np.array_split(indices, size())[rank()]
