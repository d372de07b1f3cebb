"""The script on the timeline: subtitles and screenplays read, aligned to movie time, joined
with the audience's feelings; the emotional arc; comparisons of two screenings.

Modules: ``text`` (encodings), ``subtitles``, ``screenplay`` (Fountain via screenplain, scenes
CSV), ``align`` (monotonic dialogue alignment), ``inputs`` (audience/movie/flash folders),
``feelings`` (per line / scene), ``arc`` (valence, arousal, story shapes), ``compare``
(bootstrap over viewers), ``screening`` (everything joined). See docs/script.md.
"""
