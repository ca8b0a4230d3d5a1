"""DerivLens Python evaluator: the ops of src/numeric/evaluator/api.ts on NumPy, JAX or PyTorch."""
