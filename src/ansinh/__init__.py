"""ansinh: social-assistance payments into accounts, for Vietnamese provinces."""

__version__ = "0.1.0"
