"""One file per encoder backend, each with `load(name, batch_size) -> Encoder`; see embeddings.encoder.BACKENDS."""
