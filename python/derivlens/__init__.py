"""DerivLens Python worker: serves the JSON-RPC protocol of src/numeric/protocol.ts on NumPy, JAX or PyTorch."""
