"""Run every benchmark and print its figures."""
import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent
for name in ("layer_speed", "notebook_runtime", "trusted_grading_speed", "isolation_cost", "autograde_throughput",
             "class_grading", "similarity_scaling"):
    print(f"== {name}")
    runpy.run_path(str(HERE / f"{name}.py"), run_name="__main__")
