"""Real training runs behind the course's figures: residual nets against their plain twins.

The only package of studygen that imports torch, and only inside its modules (never here), so `studygen build`
works without the `experiments` extra. One concept per module:

  config.py  RunConfig (what a run computes; hashed into its cache key), Runtime (how it runs), named VARIANTS
  nets.py    the 6n+2 CIFAR-style network, residual or plain, with every shortcut variant and unit ordering
  data.py    digits and CIFAR-10 as device tensors, the seeded resumable batch sampler, on-device augmentation
  train.py   train(config) -> record: metrics, timings, provenance; checkpoints and exact resume
  cache.py   result files: key, atomic write, verification of corrupt entries (no torch)
  spec.py    experiment specs (content/experiments/*.yaml) and the smoke/default/paper profiles (no torch)
  sweep.py   run_sweep(): plan, skip what is cached, shard, run in worker processes (one GPU each), report
  distributed.py  one run trained by all processes of a torchrun job (DistributedDataParallel)
  cli.py     the `figures` click group and its `run` command; __main__.py runs it as `python -m studygen.experiments`
"""
