"""Synthetic sample data (pure): B2B prospects in real export formats with ground truth, for tests,
benchmarks and the demo."""

from leadflow.sampledata.generator import GeneratorConfig, SampleData, generate

__all__ = ["GeneratorConfig", "SampleData", "generate"]
