"""Tables (Markdown, CSV) and plots from evaluation results."""
