"""Runs the stages in order; each stage reads its input from the store and writes its output there."""
