"""Data stages: persona set, prompt selection, mixing, validation."""
