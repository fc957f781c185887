"""Data sets that ship with packages: natural image patches and handwritten digits."""
