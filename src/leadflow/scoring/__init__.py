"""Scoring: Account Fit, Persona Influence and Engagement (0-100 or unscored), grades, suppression, reasons.

Pure: Arrow tables in, an Arrow table out, computed column-wise in DuckDB (no Python loop per record).
"""

from leadflow.scoring.engine import OUTPUT_COLUMNS, compile_scoring, score_records
from leadflow.scoring.inputs import EVENTS_SCHEMA, PEOPLE_SCHEMA

__all__ = ["EVENTS_SCHEMA", "OUTPUT_COLUMNS", "PEOPLE_SCHEMA", "compile_scoring", "score_records"]
