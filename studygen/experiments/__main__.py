"""`python -m studygen.experiments run ...` is `studygen figures run ...`: the form torchrun starts.

torchrun --standalone --nproc-per-node=4 -m studygen.experiments run --profile paper --data-dir cifar/
"""

from studygen.experiments.cli import figures

if __name__ == "__main__":
    figures(prog_name="python -m studygen.experiments")
