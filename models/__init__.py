"""finsentry's classifiers: what the stream serves, and how it is trained.

models/                 shared by both halves (no torch): tasks and their labels, the text
                        clean-up, the transaction text rendering, labelled data files,
                        metrics, evaluation, settings, errors (the exception root)
models/serving/         load a model directory and score texts: manifest, variants (the
                        int8 graph and the float graphs rebuilt from it), execution
                        providers, the runtime (``Classifier.scorer(task).score_batch``)
models/training/        behind the ``train`` extra (torch, transformers, optimum):
                        datasets simulated, augmentation, distillation, training, sweep,
                        quantization and the gated export
models/artifacts/       the shipped model
"""
