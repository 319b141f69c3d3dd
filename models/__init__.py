"""Training, export and runtime of finsentry's classifiers.

Only :mod:`models.runtime` (and the pure helpers it uses) is needed to serve; training and export
import torch/transformers/optimum lazily and need the ``train`` extra.
"""
