"""Serving: the knowledge a running assistant holds (swapped whole on reload) and ``assistant serve``."""
