"""moviemotion: a movie and its audience's recordings -> a second-by-second timeline of feels."""

__version__ = "0.1.0"
