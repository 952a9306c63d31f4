"""Language: parsing only. Words and terms, dates in text, what a question asks, what a sentence shows."""
