"""Runs the stages in order; each stage reads its input from the store and writes its output there.

``pipeline.run(settings, engine, files=[...])`` runs them all (see :mod:`leadflow.pipeline.run`).
"""

from leadflow.pipeline.run import PipelineResult, StageProgress, push, run

__all__ = ["PipelineResult", "StageProgress", "push", "run"]
