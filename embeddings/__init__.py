"""Profile units → texts → vectors (sentence-transformers), and the FAISS index over them."""
