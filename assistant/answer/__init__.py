"""Answer: candidates into what the user reads. Composition with citations, claim checking with the verifier, and scoring against question sets."""
