"""The seven FER2013 emotion classes, in the dataset's index order."""

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NEUTRAL_INDEX = EMOTIONS.index("neutral")
