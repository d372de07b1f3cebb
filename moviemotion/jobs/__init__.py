"""Orchestration above the parts: each job reads inputs, calls the parts, writes tables and
reports, and records the run (``run.json``). Commands call jobs; parts never import jobs."""
