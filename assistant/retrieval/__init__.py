"""Retrieval: the index of the catalogues (BM25 over jieba tokens, sentence embeddings in FAISS, the spaCy
pipeline, the index's own jieba segmenter), built once, loaded in seconds; and the staff search by name."""
