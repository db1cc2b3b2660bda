"""Training with hybrid batches, one job per module.

- :mod:`.config`       the training configuration (typed dataclasses, strict YAML loader, overrides)
- :mod:`.data`         data assembly: datasets → PairSets, validation split, leakage reports
- :mod:`.planner`      the batch planner (X-X-mono / X-Y / hybrid; pure numpy)
- :mod:`.sampler`      the planner plugged into sentence-transformers' trainer
- :mod:`.losses`       the contrastive loss
- :mod:`.trainer`      :func:`train` and the trainer it builds
- :mod:`.runtime`      a config's device, precision and prompts on this machine (light: no torch)
- :mod:`.checkpoints`  resume: which checkpoint, is it readable, may the run continue
- :mod:`.safe_trainer` the trainer subclass whose checkpoints appear whole or not at all
- :mod:`.model_card`   the final model folder and its card

The entry point is :func:`hybridbatch.training.trainer.train`.
"""
