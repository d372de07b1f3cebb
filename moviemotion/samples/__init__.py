"""Test media made in code, with known answers: clips, drawn faces, whole screenings.

- :mod:`~moviemotion.samples.clips`     renderers (flashes, stripes, shapes, cuts) and the H.264 writer
- :mod:`~moviemotion.samples.faces`     procedurally drawn faces with scripted expressions
- :mod:`~moviemotion.samples.screening` a movie plus seat recordings and a manifest (the demo)

Nothing here holds a real person's face.
"""
