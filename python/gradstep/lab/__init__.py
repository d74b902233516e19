"""The optimisation lab: see and compare what each training technique does, with gradstep's own
C++ optimizers and layers. Example::

    import gradstep as gs
    from gradstep.lab import functions as F

    run = gs.lab.trajectory(gs.optimizers.Adam(0.05), F.Rosenbrock(), steps=500)
    table = gs.lab.compare(
        {"GD": lambda: gs.optimizers.SGD(0.03), "momentum": lambda: gs.optimizers.SGD(0.03, momentum=0.9)},
        function=F.IllConditionedQuadratic(condition=25), steps=200, save="momentum.png")
    print(table)

functions: standard 2-D test functions with analytic gradients; trajectory: one optimizer's path;
compare: several variants (optimizers on a function, or training runs on data) in one table and
one figure (matplotlib optional: `pip install gradstep[plot]`).
"""

from . import functions
from .compare import DataRun, compare, describe_optimizer
from .table import ComparisonTable
from .trajectory import Trajectory, trajectory

__all__ = ["ComparisonTable", "DataRun", "Trajectory", "compare", "describe_optimizer", "functions", "trajectory"]
