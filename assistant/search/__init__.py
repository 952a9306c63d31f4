"""Search: a question into ranked, read candidates. Hybrid retrieval and the evidence ranker, time in questions, and the learned reader."""
