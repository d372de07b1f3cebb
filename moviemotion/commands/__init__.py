"""CLI commands, one module per part; ``moviemotion.cli`` registers them."""
