"""Web: the Gradio page and JSON routes over the core, with their guards and HTML rendering."""
