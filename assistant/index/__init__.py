"""Index: documents into a persisted, searchable index. The data model, generations on disk, columns, embeddings, BM25, the indexer, passage stores and the Ray embedding job."""
