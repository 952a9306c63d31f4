"""Ingest: files into documents. Loading, plain text, HTML/PDF extraction, page furniture, sentences with offsets, publication dates, the docs folder."""
