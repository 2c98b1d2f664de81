"""weirdgen: inductive-backdoor persona experiments (Betley et al. 2025) as a Snakemake workflow."""

__version__ = "0.1.0"
