"""Search with a trained model: build an index of any multilingual corpus, query it with a language filter,
quota or balanced interleaving, and serve it over HTTP with a page that shows the language mix.

``corpus`` reads documents, ``index`` owns the on-disk format, ``builder`` encodes and writes an index,
``searcher`` queries one, ``batcher`` groups concurrent queries into one encoder call, ``service`` is the
HTTP API and page.
"""
