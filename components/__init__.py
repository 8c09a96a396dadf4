"""One pulumi.ComponentResource per file."""
